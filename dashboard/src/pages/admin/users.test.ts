import { describe, expect, it } from "vitest";
import { actionText, usersParamsFrom, usersSearchFrom } from "./users";

describe("usersParamsFrom", () => {
  it("reads the search and the page", () => {
    expect(usersParamsFrom(new URLSearchParams("q=%20ada%20&page=3"))).toEqual({ q: "ada", page: 3 });
  });

  it("falls back to page 1 for a missing, fractional, negative or huge page", () => {
    for (const page of ["", "0", "-2", "1.5", "abc", "1000001"]) {
      expect(usersParamsFrom(new URLSearchParams({ page })).page).toBe(1);
    }
  });

  it("keeps the search within the API's limit", () => {
    expect(usersParamsFrom(new URLSearchParams({ q: "a".repeat(300) })).q).toHaveLength(254);
  });
});

describe("usersSearchFrom", () => {
  it("leaves defaults out of the URL and round-trips the rest", () => {
    expect(usersSearchFrom({ q: "", page: 1 }).toString()).toBe("");
    const search = usersSearchFrom({ q: "ada@example.com", page: 2 });
    expect(usersParamsFrom(search)).toEqual({ q: "ada@example.com", page: 2 });
  });
});

describe("actionText", () => {
  it("names the account and warns before disabling", () => {
    const text = actionText("disable", "bob@example.com");
    expect(text.title).toBe("Disable bob@example.com?");
    expect(text.danger).toBe(true);
    expect(text.body).toMatch(/links stop redirecting/);
  });

  it("has a confirmation label for every action", () => {
    expect((["disable", "enable", "make-admin", "make-user"] as const).map((action) => actionText(action, "x").confirm)).toEqual([
      "Disable account",
      "Enable account",
      "Make admin",
      "Make user",
    ]);
  });
});
