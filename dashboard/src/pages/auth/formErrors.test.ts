import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { splitFieldErrors } from "./formErrors";

function validation(errors: { loc: unknown[]; msg: string }[]): ApiError {
  return new ApiError(422, { type: "t", title: "t", status: 422, code: "weak_password", detail: "d", errors }, "422");
}

describe("splitFieldErrors", () => {
  it("puts the API's messages under the form's fields, as sentences", () => {
    const error = validation([{ loc: ["body", "password"], msg: "this password is common or easy to guess" }]);
    expect(splitFieldErrors(error, ["email", "password"])).toEqual({
      byField: { password: "This password is common or easy to guess." },
      other: false,
    });
  });

  it("reports errors about fields the form does not have", () => {
    const error = validation([
      { loc: ["body", "password"], msg: "too short" },
      { loc: ["body", "token"], msg: "too long" },
    ]);
    expect(splitFieldErrors(error, ["password"])).toEqual({ byField: { password: "Too short." }, other: true });
  });

  it("leaves a problem without field errors to the form", () => {
    const error = new ApiError(409, { type: "t", title: "t", status: 409, code: "setup_done" }, "409");
    expect(splitFieldErrors(error, ["email"])).toEqual({ byField: {}, other: true });
    expect(splitFieldErrors(new Error("offline"), ["email"]).other).toBe(true);
  });
});
