import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { SIGN_IN_MESSAGES, explain, retryAfterMessage, safeNext, sentence } from "./messages";

function apiError(status: number, code: string, detail: string): ApiError {
  return new ApiError(status, { type: `urn:hop:problem:${code}`, title: "t", status, code, detail }, `${status}`);
}

describe("retryAfterMessage", () => {
  it("counts seconds, singular and plural", () => {
    expect(retryAfterMessage(1)).toBe("Too many attempts. Try again in 1 second.");
    expect(retryAfterMessage(42)).toBe("Too many attempts. Try again in 42 seconds.");
  });

  it("rounds a fraction up, never promising too early", () => {
    expect(retryAfterMessage(2.2)).toBe("Too many attempts. Try again in 3 seconds.");
  });

  it("speaks in minutes for long waits", () => {
    expect(retryAfterMessage(119)).toContain("119 seconds");
    expect(retryAfterMessage(121)).toBe("Too many attempts. Try again in 3 minutes.");
    expect(retryAfterMessage(900)).toContain("15 minutes");
  });

  it("says later when the API gave no usable wait", () => {
    expect(retryAfterMessage(null)).toBe("Too many attempts. Try again later.");
    expect(retryAfterMessage(0)).toBe("Too many attempts. Try again later.");
  });
});

describe("explain", () => {
  it("uses the page's sentence for a known code", () => {
    expect(explain(apiError(401, "invalid_credentials", "the e-mail address or password is wrong"), SIGN_IN_MESSAGES).message).toBe(
      SIGN_IN_MESSAGES.invalid_credentials,
    );
    expect(explain(apiError(403, "account_disabled", "this account is disabled"), SIGN_IN_MESSAGES).message).toMatch(/disabled/);
  });

  it("turns a 429 into the wait from Retry-After", () => {
    const error = apiError(429, "too_many_requests", "too many failed sign-ins; try again later");
    error.retryAfter = 30;
    expect(explain(error, SIGN_IN_MESSAGES).message).toBe("Too many attempts. Try again in 30 seconds.");
  });

  it("makes an unknown problem's detail a sentence", () => {
    expect(explain(apiError(409, "last_admin", "the last admin cannot be demoted")).message).toBe("The last admin cannot be demoted.");
  });

  it("keeps the message of a failure that is not the API's", () => {
    expect(explain(new Error("boom")).message).toBe("boom");
  });
});

describe("sentence", () => {
  it("capitalises and ends with a full stop once", () => {
    expect(sentence("the password is wrong")).toBe("The password is wrong.");
    expect(sentence("Already one.")).toBe("Already one.");
    expect(sentence("")).toBe("");
  });
});

describe("safeNext", () => {
  it("keeps a path of this site, with its query", () => {
    expect(safeNext("/links?q=docs")).toBe("/links?q=docs");
  });

  it("refuses other origins and nonsense", () => {
    for (const next of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", null, undefined]) {
      expect(safeNext(next)).toBe("/links");
    }
  });
});
