import { useMemo } from "react";
import { type DataColumn, DataTable } from "../../components/DataTable";
import type { CsvPreview, ImportColumn, ImportRow } from "./csvImport";

export const PREVIEW_ROWS = 10;

function columnsFor(used: ImportColumn[]): DataColumn<ImportRow>[] {
  return [
    { id: "number", header: "Row", className: "w-14 tabular-nums", cell: (row) => row.number },
    ...used.map(
      (column): DataColumn<ImportRow> => ({
        id: column,
        header: column,
        cell: (row) => (
          <span className="block max-w-[16rem] truncate" title={row.values[column]}>
            {row.values[column] || <span className="text-slate-400 dark:text-slate-500">—</span>}
          </span>
        ),
      }),
    ),
  ];
}

/** The first rows of the file, as the import will read them (only the columns it uses). */
export function CsvPreviewTable({ preview }: { preview: CsvPreview }) {
  const columns = useMemo(() => columnsFor(preview.used), [preview.used]);
  const rows = useMemo(() => preview.rows.slice(0, PREVIEW_ROWS), [preview.rows]);
  return <DataTable caption={`The first ${rows.length} rows of the file`} data={rows} columns={columns} getRowId={(row) => String(row.number)} />;
}
