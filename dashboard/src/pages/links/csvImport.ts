/**
 * CSV import in the browser: a preview read the way the API reads the file (admin/links_csv.py:
 * header names and cells trimmed, a formula-guarding apostrophe removed, blank lines skipped),
 * the template offered for download (the export format), and the failed rows to fix and send again.
 */
import Papa from "papaparse";
import type { components } from "../../api/schema";

export type BulkResult = components["schemas"]["BulkResult"];

// admin/link_metadata.py METADATA_COLUMNS: the UTM fields and the social preview, one column each.
const METADATA_COLUMNS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "preview_title",
  "preview_description",
  "preview_image",
] as const;

// admin/links_csv.py EXPORT_COLUMNS, IMPORT_COLUMNS and MAX_IMPORT_ROWS; admin/body_limit.py MAX_BODY_BYTES.
export const EXPORT_COLUMNS = [
  "code",
  "domain",
  "short_url",
  "target_url",
  "redirect_status",
  "expires_at",
  "max_clicks",
  "forward_query",
  "disabled",
  "title",
  "tags",
  ...METADATA_COLUMNS,
  "click_count",
  "human_clicks",
  "bot_clicks",
  "created_at",
] as const;
export const IMPORT_COLUMNS = ["code", "domain", "target_url", "redirect_status", "expires_at", "max_clicks", "forward_query", "title", "tags", ...METADATA_COLUMNS] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
export const MAX_IMPORT_ROWS = 10_000;
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
// The multipart envelope around the file (boundaries, part headers) needs a little of the body limit.
export const MAX_IMPORT_BYTES = MAX_BODY_BYTES - 4 * 1024;

const FORMULA_START = ["=", "+", "-", "@", "\t", "\r"];

/** A cell as the API reads it: trimmed, and without the apostrophe an export puts before a formula. */
export function cellValue(raw: string | undefined): string {
  const text = (raw ?? "").trim();
  return text.startsWith("'") && FORMULA_START.some((start) => text.slice(1).startsWith(start)) ? text.slice(1) : text;
}

export type ImportRow = {
  /** 1 for the first row under the header; the API's result index is this minus one. */
  number: number;
  values: Record<ImportColumn, string>;
  /** The row's cells as written, for the failed-rows download. */
  raw: string[];
};

export type CsvPreview = {
  header: string[];
  /** Import columns the file has, in the file's order. */
  used: ImportColumn[];
  /** Columns the import ignores (the export's short_url, click counts...). */
  ignored: string[];
  rows: ImportRow[];
  /** Reasons the API would refuse the whole file; the upload waits until there are none. */
  problems: string[];
  /** Worth knowing, not blocking. */
  warnings: string[];
};

function isImportColumn(name: string): name is ImportColumn {
  return (IMPORT_COLUMNS as readonly string[]).includes(name);
}

function toRow(header: string[], cells: string[], number: number): ImportRow {
  const values = Object.fromEntries(IMPORT_COLUMNS.map((column) => [column, ""])) as Record<ImportColumn, string>;
  // Like Python's DictReader, a later column of the same name wins.
  header.forEach((name, index) => {
    if (isImportColumn(name)) values[name] = cellValue(cells[index]);
  });
  return { number, values, raw: cells };
}

function fileProblems(header: string[], rowCount: number): string[] {
  const problems: string[] = [];
  if (header.length === 0) problems.push("The file is empty.");
  else if (!header.includes("target_url")) problems.push("The first line must be a header naming at least the target_url column.");
  if (rowCount > MAX_IMPORT_ROWS) problems.push(`The file has ${rowCount.toLocaleString()} rows; at most ${MAX_IMPORT_ROWS.toLocaleString()} per import. Split it.`);
  return problems;
}

function fileWarnings(text: string, ignored: string[], parseErrors: number, rows: ImportRow[]): string[] {
  const warnings: string[] = [];
  // The browser decodes what is not UTF-8 into U+FFFD; the API refuses such a file outright.
  if (text.includes("\uFFFD")) warnings.push("Some characters could not be read: save the file as UTF-8 (CSV UTF-8 in Excel).");
  if (ignored.length > 0) warnings.push(`Ignored columns: ${ignored.join(", ")}.`);
  // admin/links_csv.py: CSV carries no passwords, so a password column would leave links open unawares.
  if (ignored.some((name) => /password/i.test(name))) warnings.push("CSV carries no passwords: the links are imported open. Set a password on a link's page.");
  if (parseErrors > 0) warnings.push(`${parseErrors} line(s) have unbalanced quotes or a wrong number of cells; check the preview.`);
  const noTarget = rows.filter((row) => !row.values.target_url).length;
  if (noTarget > 0) warnings.push(`${noTarget.toLocaleString()} row(s) have no target_url and will fail.`);
  return warnings;
}

export function previewCsv(text: string): CsvPreview {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ""), { skipEmptyLines: true });
  const [first = [], ...body] = parsed.data;
  const header = first.map((name) => name.trim());
  const rows = body.map((cells, index) => toRow(header, cells, index + 1));
  const used = header.filter(isImportColumn).filter((name, index, all) => all.indexOf(name) === index);
  const ignored = header.filter((name) => name !== "" && !isImportColumn(name));
  const parseErrors = parsed.errors.filter((error) => error.type !== "Delimiter").length;
  return {
    header,
    used,
    ignored,
    rows,
    problems: fileProblems(header, rows.length),
    warnings: fileWarnings(text, ignored, parseErrors, rows),
  };
}

function isoIn(days: number, now: Date): string {
  const date = new Date(now.getTime() + days * 86_400_000);
  date.setUTCHours(23, 59, 0, 0);
  return date.toISOString().replace(".000Z", "+00:00");
}

/** A CSV in the export format with two example rows; the import reads the columns it knows. */
export function templateCsv(now: Date = new Date()): string {
  const example: Record<string, string> = {
    code: "spring-sale",
    target_url: "https://example.com/spring",
    redirect_status: "302",
    expires_at: isoIn(90, now),
    max_clicks: "1000",
    forward_query: "true",
    title: "Spring sale",
    tags: "newsletter,spring",
    utm_source: "newsletter",
    utm_medium: "email",
    utm_campaign: "spring-sale",
    preview_title: "Spring sale: 30% off",
  };
  const minimal: Record<string, string> = { target_url: "https://example.com/about" };
  const data = [example, minimal].map((row) => EXPORT_COLUMNS.map((column) => row[column] ?? ""));
  return Papa.unparse({ fields: [...EXPORT_COLUMNS], data }, { newline: "\r\n" });
}

export type RowOutcome = {
  row: ImportRow | undefined;
  result: BulkResult["results"][number];
};

/** Each result next to the row it is about (the API's index 0 is the first row under the header). */
export function outcomes(preview: CsvPreview | null, result: BulkResult): RowOutcome[] {
  return result.results.map((item) => ({ row: preview?.rows[item.index], result: item }));
}

/** The failed rows as they were written, plus an error column: fix them and import this file. */
export function failedRowsCsv(preview: CsvPreview, result: BulkResult): string {
  const data = outcomes(preview, result)
    .filter(({ result: item }) => !item.ok)
    .map(({ row, result: item }) => [...preview.header.map((_, index) => row?.raw[index] ?? ""), item.error?.detail ?? "failed"]);
  // escapeFormulae writes =... as '=..., which the import reads back as =... (admin/links_csv.py).
  return Papa.unparse({ fields: [...preview.header, "error"], data }, { newline: "\r\n", escapeFormulae: true });
}

export function importSummary(result: Pick<BulkResult, "created" | "failed">): string {
  return `${result.created.toLocaleString()} created, ${result.failed.toLocaleString()} failed`;
}
