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
import { saveText } from "../../lib/download";

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
            <RouterLink to={`/links/${encodeURIComponent(result.link.code)}`} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
              /{result.link.code}
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
