import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { accountSchema, changePasswordSchema, createUserSchema, forgotPasswordSchema, resetPasswordSchema, signInSchema } from "./schemas";

const STRONG = "correct horse battery staple";

/** The first message for each field path a failed parse reports. */
function issues(schema: z.ZodType, value: unknown): Record<string, string> {
  const result = schema.safeParse(value);
  if (result.success) return {};
  const found: Record<string, string> = {};
  for (const issue of result.error.issues) found[issue.path.join(".")] ??= issue.message;
  return found;
}

describe("accountSchema (register, setup)", () => {
  it("accepts an address and a long password typed twice, trimming the address", () => {
    const parsed = accountSchema.parse({ email: "  ada@example.com ", password: STRONG, confirm: STRONG });
    expect(parsed.email).toBe("ada@example.com");
  });

  it("says under the confirmation when the two passwords differ", () => {
    expect(issues(accountSchema, { email: "ada@example.com", password: STRONG, confirm: `${STRONG}!` })).toEqual({
      confirm: "The passwords do not match.",
    });
  });

  it("refuses a short password and a malformed address, each under its field", () => {
    const found = issues(accountSchema, { email: "ada.example.com", password: "short", confirm: "short" });
    expect(found.email).toMatch(/valid e-mail/);
    expect(found.password).toBe("Use at least 15 characters.");
  });

  it("asks for an address when there is none", () => {
    expect(issues(accountSchema, { email: "   ", password: STRONG, confirm: STRONG }).email).toBe("Enter an e-mail address.");
  });
});

describe("signInSchema", () => {
  it("takes any non-empty address and password: the server judges them", () => {
    expect(signInSchema.safeParse({ email: "not-an-address", password: "x" }).success).toBe(true);
  });

  it("asks for what is missing", () => {
    expect(issues(signInSchema, { email: "", password: "" })).toEqual({
      email: "Enter your e-mail address.",
      password: "Enter your password.",
    });
  });
});

describe("resetPasswordSchema", () => {
  it("needs the same new password twice", () => {
    expect(resetPasswordSchema.safeParse({ new_password: STRONG, confirm: STRONG }).success).toBe(true);
    expect(issues(resetPasswordSchema, { new_password: STRONG, confirm: "different" })).toEqual({ confirm: "The passwords do not match." });
  });
});

describe("changePasswordSchema", () => {
  it("needs the current password, and a new one confirmed", () => {
    expect(issues(changePasswordSchema, { current_password: "", new_password: STRONG, confirm: STRONG })).toEqual({
      current_password: "Enter your password.",
    });
    expect(issues(changePasswordSchema, { current_password: "old one", new_password: STRONG, confirm: "typo" })).toEqual({
      confirm: "The passwords do not match.",
    });
  });

  it("refuses a new password equal to the current one", () => {
    expect(issues(changePasswordSchema, { current_password: STRONG, new_password: STRONG, confirm: STRONG }).new_password).toMatch(/different/);
  });
});

describe("forgotPasswordSchema and createUserSchema", () => {
  it("check the address and, for a new user, the password length", () => {
    expect(forgotPasswordSchema.safeParse({ email: "ada@example.com" }).success).toBe(true);
    expect(issues(forgotPasswordSchema, { email: "ada" }).email).toMatch(/valid e-mail/);
    expect(issues(createUserSchema, { email: "bob@example.com", password: "a".repeat(257) }).password).toBe("Use at most 256 characters.");
  });
});
