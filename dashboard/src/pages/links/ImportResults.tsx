import { CheckCircle2, Download, XCircle } from "lucide-react";
import { useMemo, useState } from "react";
import { Link as RouterLink } from "react-router";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { Card } from "../../components/Card";
import { type DataColumn, DataTable } from "../../components/DataTable";
import { SelectField } from "../../components/Field";
import { Pagination } from "../../components/Pagination";
import { type BulkResult, type CsvPreview, type RowOutcome, failedRowsCsv, importSummary, outcomes } from "./csvImport";
import { linkLabel, linkPage } from "./linkRef";
import { saveText } from "../../lib/download";
import { formatDate, formatNumber } from "../../lib/format";
import {
  type ImportReport,
  type ImportReportRow,
  OUTCOME_LABELS,
  OUTCOME_TONES,
  type Show as ReportShow,
  defaultShow,
  problemCount,
  problemRowsCsv,
  reportSummary,
  shownRows,
} from "./sourceImport";

const PAGE_SIZE = 100;
type Show = "all" | "failed" | "created";

const COLUMNS: DataColumn<RowOutcome>[] = [
  { id: "row", header: "Row", className: "w-16 tabular-nums", cell: ({ result }) => result.index + 1 },
  {
    id: "target",
    header: "Target URL",
    cell: ({ row }) => (
      <p className="max-w-[14rem] truncate sm:max-w-sm" title={row?.values.target_url}>
        {row?.values.target_url || "—"}
      </p>
    ),
  },
  {
    id: "result",
    header: "Result",
    cell: ({ result }) =>
      result.ok ? (
        <span className="flex flex-wrap items-center gap-2">
          <Badge tone="success" icon={CheckCircle2}>
            Created
          </Badge>
          {result.link && (
            <RouterLink to={linkPage(result.link)} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
              {linkLabel(result.link)}
            </RouterLink>
          )}
        </span>
      ) : (
        <span className="flex flex-col items-start gap-1">
          <Badge tone="danger" icon={XCircle}>
            Failed{result.error ? `: ${result.error.code}` : ""}
          </Badge>
          <span className="text-slate-700 dark:text-slate-200">{result.error?.detail}</span>
        </span>
      ),
  },
];

function matches(show: Show, outcome: RowOutcome): boolean {
  if (show === "failed") return !outcome.result.ok;
  if (show === "created") return outcome.result.ok;
  return true;
}

/** What the import did, row by row, with the failed rows as a CSV to fix and import again. */
export function ImportResults({ preview, result }: { preview: CsvPreview | null; result: BulkResult }) {
  const [show, setShow] = useState<Show>(result.failed > 0 ? "failed" : "all");
  const [page, setPage] = useState(1);
  const all = useMemo(() => outcomes(preview, result), [preview, result]);
  const shown = useMemo(() => all.filter((outcome) => matches(show, outcome)), [all, show]);
  const pageRows = useMemo(() => shown.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), [shown, page]);
  const rateLimited = result.results.some((item) => item.error?.code === "link_rate_limited");
  return (
    <Card title="Result">
      <div className="space-y-4">
        <p role="status" className="text-lg font-semibold">
          {importSummary(result)}
        </p>
        {rateLimited && (
          <p className="text-sm text-amber-800 dark:text-amber-200">
            Some rows went over your link creation limit. Download the failed rows and import them again later.
          </p>
        )}
        <div className="flex flex-wrap items-end gap-3">
          <div className="w-48">
            <SelectField
              label="Show"
              value={show}
              onChange={(event) => {
                setShow(event.target.value as Show);
                setPage(1);
              }}
            >
              <option value="all">All rows ({result.results.length.toLocaleString()})</option>
              <option value="failed">Failed rows ({result.failed.toLocaleString()})</option>
              <option value="created">Created rows ({result.created.toLocaleString()})</option>
            </SelectField>
          </div>
          {preview && result.failed > 0 && (
            <Button variant="secondary" onClick={() => saveText(failedRowsCsv(preview, result), "failed-rows.csv")}>
              <Download aria-hidden="true" className="h-4 w-4" />
              Download failed rows
            </Button>
          )}
        </div>
        {shown.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-300">No rows to show.</p>
        ) : (
          <>
            <DataTable caption="Import result per row" data={pageRows} columns={COLUMNS} getRowId={(outcome) => String(outcome.result.index)} />
            {shown.length > PAGE_SIZE && <Pagination page={page} pageSize={PAGE_SIZE} total={shown.length} onPage={setPage} />}
          </>
        )}
      </div>
    </Card>
  );
}

const REPORT_COLUMNS: DataColumn<ImportReportRow>[] = [
  { id: "row", header: "Row", className: "w-14 tabular-nums", cell: (row) => row.row },
  {
    id: "code",
    header: "Code",
    cell: (row) =>
      row.outcome === "created" || row.outcome === "already_present" ? (
        <RouterLink to={linkPage({ code: row.code ?? "", domain: row.domain ?? null })} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
          {linkLabel({ code: row.code ?? "", domain: row.domain ?? null })}
        </RouterLink>
      ) : (
        <span className="block max-w-[8rem] truncate font-mono text-xs" title={row.code ?? undefined}>
          {row.code ? linkLabel({ code: row.code, domain: row.domain ?? null }).replace(/^\//, "") : "—"}
        </span>
      ),
  },
  {
    id: "result",
    header: "Result",
    cell: (row) => (
      <span className="flex flex-col items-start gap-1">
        <Badge tone={OUTCOME_TONES[row.outcome]} icon={row.outcome === "created" || row.outcome === "would_create" ? CheckCircle2 : row.error ? XCircle : undefined}>
          {OUTCOME_LABELS[row.outcome]}
        </Badge>
        {row.error && <span className="max-w-xs text-slate-700 dark:text-slate-200">{row.error.detail}</span>}
      </span>
    ),
  },
  {
    id: "target",
    header: "Target URL",
    cell: (row) => (
      <p className="max-w-[10rem] truncate sm:max-w-[12rem]" title={row.target_url ?? undefined}>
        {row.target_url || "—"}
      </p>
    ),
  },
  {
    id: "clicks",
    header: "Clicks before Hop",
    className: "hidden tabular-nums md:table-cell",
    cell: (row) => (row.imported_clicks == null ? "—" : formatNumber(row.imported_clicks)),
  },
  {
    id: "created",
    header: "Created",
    className: "hidden whitespace-nowrap lg:table-cell",
    cell: (row) => (row.created_at ? formatDate(row.created_at) : "—"),
  },
];

/** An import's report (or its dry run's), row by row: problems first, the problem rows as a CSV. */
export function ImportReportView({ report, caption }: { report: ImportReport; caption: string }) {
  const [show, setShow] = useState<ReportShow>(defaultShow(report));
  const [page, setPage] = useState(1);
  const shown = useMemo(() => shownRows(report, show), [report, show]);
  const pageRows = useMemo(() => shown.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), [shown, page]);
  const problems = problemCount(report);
  const fresh = report.dry_run ? report.counts.would_create : report.counts.created;
  const rateLimited = report.rows.some((row) => row.error?.code === "link_rate_limited");
  return (
    <div className="space-y-4">
      <p role="status" className="text-lg font-semibold">
        {reportSummary(report)}
      </p>
      {rateLimited && (
        <p className="text-sm text-amber-800 dark:text-amber-200">
          Some links went over your link creation limit. Import the same file again later: what is there already is skipped.
        </p>
      )}
      <div className="flex flex-wrap items-end gap-3">
        <div className="w-56">
          <SelectField
            label="Show"
            value={show}
            onChange={(event) => {
              setShow(event.target.value as ReportShow);
              setPage(1);
            }}
          >
            <option value="all">All rows ({report.rows.length.toLocaleString()})</option>
            <option value="problems">Not imported ({problems.toLocaleString()})</option>
            <option value="new">{report.dry_run ? "To create" : "Created"} ({fresh.toLocaleString()})</option>
            <option value="present">Already present ({report.counts.already_present.toLocaleString()})</option>
          </SelectField>
        </div>
        {problems > 0 && (
          <Button variant="secondary" onClick={() => saveText(problemRowsCsv(report), "not-imported.csv")}>
            <Download aria-hidden="true" className="h-4 w-4" />
            Download rows not imported
          </Button>
        )}
      </div>
      {shown.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-300">No rows to show.</p>
      ) : (
        <>
          <DataTable caption={caption} data={pageRows} columns={REPORT_COLUMNS} getRowId={(row) => String(row.row)} />
          {shown.length > PAGE_SIZE && <Pagination page={page} pageSize={PAGE_SIZE} total={shown.length} onPage={setPage} />}
        </>
      )}
    </div>
  );
}
