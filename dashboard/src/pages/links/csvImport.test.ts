import { describe, expect, it } from "vitest";
import { MAX_IMPORT_ROWS, cellValue, failedRowsCsv, importSummary, outcomes, previewCsv, templateCsv } from "./csvImport";

describe("cellValue", () => {
  it("trims and removes the apostrophe guarding a formula, as the API does", () => {
    expect(cellValue("  spring ")).toBe("spring");
    expect(cellValue("'=SUM(A1)")).toBe("=SUM(A1)");
    expect(cellValue("'-5")).toBe("-5");
    expect(cellValue("'quoted")).toBe("'quoted");
    expect(cellValue(undefined)).toBe("");
  });
});

describe("previewCsv", () => {
  it("reads rows by the trimmed header names, skipping blank lines", () => {
    const preview = previewCsv("\uFEFF target_url , code,click_count\r\nhttps://a.example, a ,5\r\n\r\nhttps://b.example,,\r\n");
    expect(preview.header).toEqual(["target_url", "code", "click_count"]);
    expect(preview.used).toEqual(["target_url", "code"]);
    expect(preview.ignored).toEqual(["click_count"]);
    expect(preview.rows.map((row) => [row.number, row.values.target_url, row.values.code])).toEqual([
      [1, "https://a.example", "a"],
      [2, "https://b.example", ""],
    ]);
    expect(preview.problems).toEqual([]);
  });

  it("keeps quoted commas and line breaks in one cell", () => {
    const preview = previewCsv('target_url,tags,title\nhttps://a.example,"x,y","two\nlines"\n');
    expect(preview.rows[0]?.values.tags).toBe("x,y");
    expect(preview.rows[0]?.values.title).toBe("two\nlines");
  });

  it("warns that a password column is not imported", () => {
    const preview = previewCsv("target_url,Password\nhttps://a.example,secret\n");
    expect(preview.ignored).toEqual(["Password"]);
    expect(preview.warnings).toContain("CSV carries no passwords: the links are imported open. Set a password on a link's page.");
    expect(previewCsv("target_url\nhttps://a.example\n").warnings).toEqual([]);
  });

  it("refuses a file without a target_url column, or an empty one", () => {
    expect(previewCsv("url,code\nhttps://a.example,a\n").problems[0]).toMatch(/target_url/);
    expect(previewCsv("").problems[0]).toMatch(/empty/);
  });

  it("refuses more rows than one import takes", () => {
    const text = `target_url\n${"https://a.example\n".repeat(MAX_IMPORT_ROWS + 1)}`;
    expect(previewCsv(text).problems[0]).toMatch(/at most 10,000/);
    expect(previewCsv(`target_url\n${"https://a.example\n".repeat(MAX_IMPORT_ROWS)}`).problems).toEqual([]);
  });

  it("warns about rows without a target and text that was not UTF-8", () => {
    const warnings = previewCsv("target_url,title\n,caf\uFFFD\n").warnings.join(" ");
    expect(warnings).toMatch(/1 row\(s\) have no target_url/);
    expect(warnings).toMatch(/UTF-8/);
  });
});

describe("templateCsv", () => {
  it("is the export format, and previews without problems", () => {
    const text = templateCsv(new Date("2026-06-01T00:00:00Z"));
    expect(text.split("\r\n")[0]).toBe(
      "code,domain,short_url,target_url,redirect_status,expires_at,max_clicks,forward_query,disabled,title,tags," +
        "utm_source,utm_medium,utm_campaign,utm_term,utm_content,preview_title,preview_description,preview_image," +
        "click_count,human_clicks,bot_clicks,created_at",
    );
    const preview = previewCsv(text);
    expect(preview.problems).toEqual([]);
    expect(preview.rows).toHaveLength(2);
    expect(preview.rows[0]?.values).toMatchObject({ code: "spring-sale", tags: "newsletter,spring", expires_at: "2026-08-30T23:59:00+00:00", utm_source: "newsletter" });
  });
});

describe("import results", () => {
  const preview = previewCsv("target_url,title\nhttps://a.example,A\nnot a url,=B\n");
  const result = {
    created: 1,
    failed: 1,
    results: [
      { index: 0, ok: true, link: null, error: null },
      { index: 1, ok: false, link: null, error: { code: "scheme", detail: "only http:// and https:// URLs can be shortened" } },
    ],
  };

  it("pairs each result with its row", () => {
    expect(outcomes(preview, result).map(({ row }) => row?.values.target_url)).toEqual(["https://a.example", "not a url"]);
  });

  it("writes the failed rows with their error, ready to import again", () => {
    const csv = failedRowsCsv(preview, result);
    // The formula is guarded with an apostrophe in the file and read back without it.
    expect(csv).toBe("target_url,title,error\r\nnot a url,\"'=B\",only http:// and https:// URLs can be shortened");
    expect(previewCsv(csv).rows[0]?.values).toMatchObject({ target_url: "not a url", title: "=B" });
  });

  it("says how many were created and how many failed", () => {
    expect(importSummary({ created: 1200, failed: 3 })).toBe("1,200 created, 3 failed");
  });
});
