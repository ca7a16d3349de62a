import { describe, expect, it, vi } from "vitest";
import { clearHash, resetTokenFromHash } from "./resetToken";

describe("resetTokenFromHash", () => {
  it("reads the token the reset mail puts in the fragment", () => {
    expect(resetTokenFromHash("#token=abc-DEF_123")).toBe("abc-DEF_123");
    expect(resetTokenFromHash("token=abc")).toBe("abc");
  });

  it("decodes a percent-encoded token and ignores other parameters", () => {
    expect(resetTokenFromHash("#utm=mail&token=a%2Bb")).toBe("a+b");
  });

  it("finds nothing in an empty, token-less or blank fragment", () => {
    for (const hash of ["", "#", "#token=", "#token=%20", "#other=1"]) expect(resetTokenFromHash(hash)).toBeNull();
  });

  it("refuses a token longer than the API accepts", () => {
    expect(resetTokenFromHash(`#token=${"a".repeat(201)}`)).toBeNull();
    expect(resetTokenFromHash(`#token=${"a".repeat(200)}`)).toHaveLength(200);
  });
});

describe("clearHash", () => {
  it("replaces the URL with the same path and query, keeping the history state", () => {
    const history = { state: { key: "k1" }, replaceState: vi.fn() };
    clearHash(history, { pathname: "/reset-password", search: "?x=1", hash: "#token=abc" });
    expect(history.replaceState).toHaveBeenCalledWith({ key: "k1" }, "", "/reset-password?x=1");
  });

  it("leaves a URL without a fragment alone", () => {
    const history = { state: null, replaceState: vi.fn() };
    clearHash(history, { pathname: "/reset-password", search: "", hash: "" });
    expect(history.replaceState).not.toHaveBeenCalled();
  });
});
