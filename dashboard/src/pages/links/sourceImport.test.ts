import { describe, expect, it } from "vitest";
import {
  type ImportReport,
  type ImportReportRow,
  SOURCES,
  canImport,
  defaultShow,
  isFileSource,
  problemRowsCsv,
  reportSummary,
  shownRows,
  sourceInfo,
} from "./sourceImport";

function row(number: number, outcome: ImportReportRow["outcome"], extra: Partial<ImportReportRow> = {}): ImportReportRow {
  return { row: number, outcome, code: `c${number}`, target_url: `https://example.com/${number}`, ...extra };
}

function report(rows: ImportReportRow[], dryRun = true): ImportReport {
  const count = (outcome: ImportReportRow["outcome"]) => rows.filter((item) => item.outcome === outcome).length;
  return {
    source: "bitly-csv",
    dry_run: dryRun,
    counts: {
      would_create: count("would_create"),
      created: count("created"),
      already_present: count("already_present"),
      conflict: count("conflict"),
      invalid: count("invalid"),
      failed: count("failed"),
    },
    rows,
  };
}

const PREVIEW = report([
  row(2, "would_create", { imported_clicks: 1234 }),
  row(3, "already_present"),
  row(4, "conflict", { error: { code: "code_taken", detail: "the code is in use by another link; not overwritten" } }),
  row(5, "invalid", { code: "a.b", target_url: "=HYPERLINK(\"x\")", error: { code: "invalid_code", detail: "not a Hop code" } }),
  row(6, "would_create"),
]);

describe("sources", () => {
  it("offers Hop's CSV first and every file format of the API", () => {
    expect(SOURCES.map((source) => source.id)).toEqual(["hop-csv", "bitly-csv", "shlink-csv", "shlink-json", "kutt-csv", "kutt-json", "yourls-csv", "yourls-sql"]);
    expect(isFileSource("hop-csv")).toBe(false);
    expect(isFileSource("yourls-sql")).toBe(true);
    expect(sourceInfo("yourls-sql").accept).toContain(".sql");
    expect(sourceInfo("shlink-json").accept).toContain(".json");
  });
});

describe("reportSummary", () => {
  it("counts a dry run's and an import's outcomes", () => {
    expect(reportSummary(PREVIEW)).toBe("2 would be created, 1 already present, 1 conflict, 1 invalid");
    const done = report([row(2, "created"), row(3, "created"), row(4, "failed"), row(5, "conflict"), row(6, "conflict")], false);
    expect(reportSummary(done)).toBe("2 created, 0 already present, 2 conflicts, 0 invalid, 1 failed");
  });
});

describe("filters", () => {
  it("shows the problems first when there are any", () => {
    expect(defaultShow(PREVIEW)).toBe("problems");
    expect(shownRows(PREVIEW, "problems").map((item) => item.row)).toEqual([4, 5]);
    expect(shownRows(PREVIEW, "new").map((item) => item.row)).toEqual([2, 6]);
    expect(shownRows(PREVIEW, "present").map((item) => item.row)).toEqual([3]);
    expect(shownRows(PREVIEW, "all")).toHaveLength(5);
    expect(defaultShow(report([row(2, "would_create")]))).toBe("all");
  });

  it("allows the import only after a dry run that would create something", () => {
    expect(canImport(PREVIEW)).toBe(true);
    expect(canImport(report([row(2, "already_present")]))).toBe(false);
    expect(canImport(report([row(2, "created")], false))).toBe(false);
  });
});

describe("problemRowsCsv", () => {
  it("lists what was not imported and why, with formulas guarded", () => {
    expect(problemRowsCsv(PREVIEW)).toBe(
      "row,code,target_url,outcome,error_code,error\r\n" +
        "4,c4,https://example.com/4,Conflict,code_taken,the code is in use by another link; not overwritten\r\n" +
        '5,a.b,"\'=HYPERLINK(""x"")",Invalid,invalid_code,not a Hop code',
    );
  });
});
