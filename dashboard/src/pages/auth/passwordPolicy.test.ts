import { describe, expect, it } from "vitest";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, meterSegments, passwordHint } from "./passwordPolicy";

describe("passwordHint", () => {
  it("explains the rule before anything is typed", () => {
    expect(passwordHint(0)).toMatchObject({ level: "empty" });
    expect(passwordHint(0).message).toContain(`${MIN_PASSWORD_LENGTH} characters`);
  });

  it("counts the characters still missing, singular and plural", () => {
    expect(passwordHint(MIN_PASSWORD_LENGTH - 1).message).toBe("Too short: 1 more character needed.");
    expect(passwordHint(5).message).toBe("Too short: 10 more characters needed.");
  });

  it("accepts the minimum length and prefers longer", () => {
    expect(passwordHint(MIN_PASSWORD_LENGTH).level).toBe("ok");
    expect(passwordHint(19).level).toBe("ok");
    expect(passwordHint(20).level).toBe("good");
    expect(passwordHint(MAX_PASSWORD_LENGTH).level).toBe("good");
  });

  it("refuses what the server would refuse for length", () => {
    expect(passwordHint(MAX_PASSWORD_LENGTH + 1).level).toBe("long");
  });

  it("fills more of the meter as the password grows", () => {
    expect([0, 5, 15, 30].map((n) => meterSegments(passwordHint(n).level))).toEqual([0, 1, 2, 3]);
  });
});
