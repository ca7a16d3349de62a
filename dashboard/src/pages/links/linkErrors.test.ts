import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { linkFormErrors } from "./linkErrors";

function problem(status: number, code: string, detail: string, errors?: { loc: unknown[]; msg: string; type: string }[]) {
  return new ApiError(status, { type: `urn:hop:problem:${code}`, title: "t", status, code, detail, ...(errors ? { errors } : {}) }, "fallback");
}

describe("linkFormErrors", () => {
  it("puts a taken or reserved code under the code field", () => {
    expect(linkFormErrors(problem(409, "code_taken", "the short code 'x' is already in use"))).toEqual({
      fields: { code: "The short code 'x' is already in use" },
      form: null,
    });
    expect(linkFormErrors(problem(422, "code_reserved", "the short code 'api' is reserved")).fields).toHaveProperty("code");
  });

  it("puts validation errors under their fields", () => {
    const error = problem(422, "validation_failed", "...", [
      { loc: ["body", "expires_at"], msg: "Value error, expires_at 2020 is not in the future", type: "value_error" },
      { loc: ["body", "target_url"], msg: "only http:// and https:// URLs can be shortened", type: "scheme" },
    ]);
    expect(linkFormErrors(error)).toEqual({
      fields: { expires_at: "Expires_at 2020 is not in the future", target_url: "Only http:// and https:// URLs can be shortened" },
      form: null,
    });
  });

  it("puts an error about a UTM or preview field under its own input", () => {
    const error = problem(422, "validation_failed", "...", [
      { loc: ["body", "preview", "image"], msg: "Value error, the image must be an absolute http:// or https:// URL", type: "value_error" },
      { loc: ["body", "utm", "source"], msg: "String should have at most 200 characters", type: "string_too_long" },
    ]);
    expect(linkFormErrors(error)).toEqual({
      fields: { preview_image: "The image must be an absolute http:// or https:// URL", utm_source: "String should have at most 200 characters" },
      form: null,
    });
  });

  it("keeps what no field shows for the form", () => {
    const limited = problem(429, "link_rate_limited", "too many links created; try again later");
    expect(linkFormErrors(limited)).toEqual({ fields: {}, form: limited });
    const mixed = problem(422, "validation_failed", "...", [
      { loc: ["body"], msg: "the short code of a link cannot be changed", type: "value_error" },
      { loc: ["body", "title"], msg: "too long", type: "string_too_long" },
    ]);
    expect(linkFormErrors(mixed)).toEqual({ fields: { title: "Too long" }, form: mixed });
  });

  it("keeps a network failure for the form", () => {
    const offline = new ApiError(0, null, "The admin API cannot be reached.");
    expect(linkFormErrors(offline).form).toBe(offline);
  });
});
