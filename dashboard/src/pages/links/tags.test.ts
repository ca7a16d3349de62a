import { describe, expect, it } from "vitest";
import { addTags, parseTags, sameTags, tagProblem } from "./tags";

describe("tags", () => {
  it("splits on commas, trims, lower-cases and drops empties and repeats", () => {
    expect(parseTags(" Spring, newsletter ,,SPRING, ")).toEqual(["spring", "newsletter"]);
  });

  it("adds only new tags, after the existing ones", () => {
    expect(addTags(["a"], "b, A, c")).toEqual(["a", "b", "c"]);
  });

  it("compares regardless of order and case", () => {
    expect(sameTags(["b", "a"], ["A", "b"])).toBe(true);
    expect(sameTags(["a"], ["a", "b"])).toBe(false);
  });

  it("refuses long tags and control characters", () => {
    expect(tagProblem("x".repeat(64))).toBeNull();
    expect(tagProblem("x".repeat(65))).toMatch(/longer than 64/);
    expect(tagProblem("a\nb")).toMatch(/control characters/);
  });
});
