import { describe, expect, it } from "vitest";
import { isDark, nextTheme, storedTheme } from "./theme";

const storage = (value: string | null) => ({ getItem: () => value });

describe("theme", () => {
  it("reads a stored choice and falls back to the system's for anything else", () => {
    expect(storedTheme(storage("dark"))).toBe("dark");
    expect(storedTheme(storage("light"))).toBe("light");
    expect(storedTheme(storage("purple"))).toBe("system");
    expect(storedTheme(storage(null))).toBe("system");
  });

  it("is dark when chosen, or when following a dark system", () => {
    expect(isDark("dark", false)).toBe(true);
    expect(isDark("light", true)).toBe(false);
    expect(isDark("system", true)).toBe(true);
    expect(isDark("system", false)).toBe(false);
  });

  it("cycles light, dark, system", () => {
    expect(nextTheme("light")).toBe("dark");
    expect(nextTheme("dark")).toBe("system");
    expect(nextTheme("system")).toBe("light");
  });
});
