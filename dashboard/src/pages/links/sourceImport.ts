/**
 * Imports from other shorteners (POST /api/v1/imports, admin/importers/): the sources the page
 * offers beside Hop's own CSV, what each outcome is called, and the report's summary, filters and
 * problem rows as a CSV to fix and import again.
 */
import Papa from "papaparse";
import type { components } from "../../api/schema";
import type { BadgeTone } from "../../components/Badge";

export type ImportReport = components["schemas"]["ImportReportPublic"];
export type ImportReportRow = components["schemas"]["ImportRow"];
export type FileSource = ImportReport["source"];
export type Outcome = ImportReportRow["outcome"];
/** Hop's own CSV goes to /links/import.csv, the others to /imports. */
export type ImportSource = "hop-csv" | FileSource;

export type SourceInfo = {
  id: ImportSource;
  label: string;
  /** The file picker's filter. */
  accept: string;
  /** Where the file comes from, in the source product. */
  help: string;
};

const CSV = ".csv,text/csv";
const JSON_FILE = ".json,application/json";

export const SOURCES: SourceInfo[] = [
  { id: "hop-csv", label: "Hop CSV", accept: CSV, help: "A spreadsheet, or the CSV export of another Hop." },
  {
    id: "bitly-csv",
    label: "Bitly (CSV export)",
    accept: CSV,
    help: "In Bitly: Links, select the links or none for all, then Export. The CSV Bitly sends you, as it is.",
  },
  {
    id: "shlink-csv",
    label: "Shlink (CSV export)",
    accept: CSV,
    help: "In Shlink's web client: Short URLs, then Export (short_urls.csv).",
  },
  {
    id: "shlink-json",
    label: "Shlink (REST API JSON)",
    accept: JSON_FILE,
    help: "What GET /rest/v3/short-urls answers: one page, or a list of pages. To read an instance directly, an admin runs `hop import shlink-api` on the server.",
  },
  {
    id: "kutt-csv",
    label: "Kutt (links table as CSV)",
    accept: CSV,
    help: "Kutt's links table written as CSV with a header, e.g. \\copy links TO 'links.csv' CSV HEADER in psql.",
  },
  { id: "kutt-json", label: "Kutt (API JSON)", accept: JSON_FILE, help: "What GET /api/v2/links answers: one page, or a list of pages." },
  {
    id: "yourls-csv",
    label: "YOURLS (CSV)",
    accept: CSV,
    help: "The yourls_url table as CSV, e.g. phpMyAdmin's export (with a header, or the table's six columns in order).",
  },
  { id: "yourls-sql", label: "YOURLS (SQL dump)", accept: ".sql,.txt,application/sql,text/plain", help: "A mysqldump or phpMyAdmin SQL export holding the yourls_url table. It is read, never run." },
];

export function sourceInfo(id: ImportSource): SourceInfo {
  return SOURCES.find((source) => source.id === id) ?? (SOURCES[0] as SourceInfo);
}

export function isFileSource(id: ImportSource): id is FileSource {
  return id !== "hop-csv";
}

export const OUTCOME_LABELS: Record<Outcome, string> = {
  would_create: "Would be created",
  created: "Created",
  already_present: "Already present",
  conflict: "Conflict",
  invalid: "Invalid",
  failed: "Failed",
};

export const OUTCOME_TONES: Record<Outcome, BadgeTone> = {
  would_create: "info",
  created: "success",
  already_present: "neutral",
  conflict: "warning",
  invalid: "danger",
  failed: "danger",
};

const PROBLEMS: Outcome[] = ["conflict", "invalid", "failed"];

/** "4 would be created, 1 already present, 1 conflict, 7 invalid": what a report adds up to. */
export function reportSummary(report: ImportReport): string {
  const { counts } = report;
  const parts = [
    report.dry_run ? `${counts.would_create.toLocaleString()} would be created` : `${counts.created.toLocaleString()} created`,
    `${counts.already_present.toLocaleString()} already present`,
    `${counts.conflict.toLocaleString()} ${counts.conflict === 1 ? "conflict" : "conflicts"}`,
    `${counts.invalid.toLocaleString()} invalid`,
  ];
  if (counts.failed > 0) parts.push(`${counts.failed.toLocaleString()} failed`);
  return parts.join(", ");
}

export type Show = "all" | "problems" | "new" | "present";

export function problemCount(report: ImportReport): number {
  return report.counts.conflict + report.counts.invalid + report.counts.failed;
}

/** The rows a filter shows: all, the problems (conflicts, invalid, failed), the new links, or those already there. */
export function shownRows(report: ImportReport, show: Show): ImportReportRow[] {
  if (show === "problems") return report.rows.filter((row) => PROBLEMS.includes(row.outcome));
  if (show === "new") return report.rows.filter((row) => row.outcome === "created" || row.outcome === "would_create");
  if (show === "present") return report.rows.filter((row) => row.outcome === "already_present");
  return report.rows;
}

/** Problems first when there are any: they are what needs doing. */
export function defaultShow(report: ImportReport): Show {
  return problemCount(report) > 0 ? "problems" : "all";
}

/** Whether the dry run found anything the import would create. */
export function canImport(preview: ImportReport): boolean {
  return preview.dry_run && preview.counts.would_create > 0;
}

/** The rows that were not imported, with why, as a CSV (formulas guarded) to fix the export by. */
export function problemRowsCsv(report: ImportReport): string {
  const data = shownRows(report, "problems").map((row) => [
    String(row.row),
    row.code ?? "",
    row.target_url ?? "",
    OUTCOME_LABELS[row.outcome],
    row.error?.code ?? "",
    row.error?.detail ?? "",
  ]);
  return Papa.unparse({ fields: ["row", "code", "target_url", "outcome", "error_code", "error"], data }, { newline: "\r\n", escapeFormulae: true });
}
