import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS, apiQuery, pageCount, readListParams, sortKeyOf, sortingOf, withChange, writeListParams } from "./listParams";

const read = (query: string) => readListParams(new URLSearchParams(query));

describe("readListParams", () => {
  it("reads every parameter", () => {
    expect(read("q=spring&tag=News&sort=-click_count&page=3&limit=100")).toEqual({ q: "spring", tag: "news", sort: "-click_count", page: 3, limit: 100 });
  });

  it("falls back to the defaults for what is missing", () => {
    expect(read("")).toEqual(DEFAULT_PARAMS);
  });

  it("refuses sort keys the API does not have", () => {
    expect(read("sort=title").sort).toBe("-created_at");
    expect(read("sort=--code").sort).toBe("-created_at");
  });

  it("refuses pages that are not whole numbers from 1 to 100,000", () => {
    for (const page of ["0", "-2", "1.5", "abc", "100001", "1e3"]) expect(read(`page=${page}`).page).toBe(1);
    expect(read("page=100000").page).toBe(100_000);
  });

  it("accepts only the offered page sizes", () => {
    expect(read("limit=25").limit).toBe(25);
    expect(read("limit=500").limit).toBe(50);
    expect(read("limit=7").limit).toBe(50);
  });

  it("trims, drops NUL and cuts the search to the API's 200 characters", () => {
    expect(read("q=%20a%00b%20").q).toBe("ab");
    expect(read(`q=${"x".repeat(250)}`).q).toHaveLength(200);
  });
});

describe("writeListParams", () => {
  it("leaves the defaults out", () => {
    expect(writeListParams(DEFAULT_PARAMS).toString()).toBe("");
  });

  it("round-trips through readListParams", () => {
    const params = { q: "a & b", tag: "spring", sort: "code" as const, page: 4, limit: 25 };
    expect(readListParams(writeListParams(params))).toEqual(params);
  });
});

describe("withChange", () => {
  it("goes back to page 1 when a filter changes", () => {
    expect(withChange({ ...DEFAULT_PARAMS, page: 9 }, { tag: "x" })).toEqual({ ...DEFAULT_PARAMS, tag: "x", page: 1 });
  });
});

describe("apiQuery", () => {
  it("sends q and tag only when set", () => {
    expect(apiQuery(DEFAULT_PARAMS)).toEqual({ page: 1, limit: 50, sort: "-created_at" });
    expect(apiQuery({ ...DEFAULT_PARAMS, q: "x", tag: "y" })).toMatchObject({ q: "x", tag: "y" });
  });
});

describe("sorting", () => {
  it("maps sort keys to table sorting and back", () => {
    expect(sortingOf("-click_count")).toEqual([{ id: "click_count", desc: true }]);
    expect(sortingOf("code")).toEqual([{ id: "code", desc: false }]);
    expect(sortKeyOf([{ id: "created_at", desc: false }], "-created_at")).toBe("created_at");
  });

  it("keeps the fallback for columns the API cannot sort on", () => {
    expect(sortKeyOf([{ id: "status", desc: true }], "code")).toBe("code");
    expect(sortKeyOf([], "-code")).toBe("-code");
  });
});

describe("pageCount", () => {
  it("is at least one page", () => {
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(50, 50)).toBe(1);
    expect(pageCount(51, 50)).toBe(2);
  });
});
