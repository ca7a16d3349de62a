import {
  type RowData,
  type RowSelectionState,
  type SortingState,
  createColumnHelper,
  functionalUpdate,
  rowSelectionFeature,
  rowSortingFeature,
  tableFeatures,
  useTable,
} from "@tanstack/react-table";
import { ArrowDown, ArrowUp, ArrowUpDown } from "lucide-react";
import { type MouseEvent, type ReactNode, useMemo } from "react";

export type { RowSelectionState, SortingState } from "@tanstack/react-table";

/** One column: what its header says, what its cells show, and whether the server sorts on its id. */
export type DataColumn<T> = {
  id: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** Sortable by `id` (the sorting is the caller's: the table only reports what was asked). */
  sortable?: boolean;
  /** The first click sorts descending (numbers, dates: the largest or newest first). */
  descFirst?: boolean;
  /** Classes for the column's th and td (width, alignment, hiding on phones). */
  className?: string;
};

type Sorting = { sorting: SortingState; onSortingChange(next: SortingState): void };
type Selection<T> = {
  selected: RowSelectionState;
  onSelectedChange(next: RowSelectionState): void;
  /** What a row's checkbox selects, for screen readers: "Select {label}". */
  rowLabel(row: T): string;
};

export type DataTableProps<T extends RowData> = {
  /** Names the table for screen readers (a visually hidden caption). */
  caption: string;
  data: T[];
  /** Keep this stable (module scope or useMemo): the table rebuilds its model when it changes. */
  columns: DataColumn<T>[];
  getRowId(row: T): string;
  sort?: Sorting;
  select?: Selection<T>;
  /** Clicking a row (not one of its links, buttons or checkboxes) opens it; a link in the row must do the same for keyboards. */
  onRowClick?(row: T): void;
  /** Rows shown are stale while newer ones load. */
  busy?: boolean;
};

const features = tableFeatures({ rowSortingFeature, rowSelectionFeature });
const NO_SORTING: SortingState = [];
const NO_SELECTION: RowSelectionState = {};
const INTERACTIVE = "a, button, input, label, select, textarea, summary";

function useColumnDefs<T extends RowData>(columns: DataColumn<T>[]) {
  return useMemo(() => {
    const helper = createColumnHelper<typeof features, T>();
    return columns.map((column) =>
      // The value is the row itself: cells render from it, and sorting is the server's.
      helper.accessor((row): unknown => row, {
        id: column.id,
        header: column.header,
        cell: (context) => column.cell(context.row.original),
        enableSorting: column.sortable ?? false,
        sortDescFirst: column.descFirst ?? false,
      }),
    );
  }, [columns]);
}

function ariaSort(direction: false | "asc" | "desc"): "ascending" | "descending" | "none" {
  if (direction === "asc") return "ascending";
  if (direction === "desc") return "descending";
  return "none";
}

function SortIcon({ direction }: { direction: false | "asc" | "desc" }) {
  const className = "h-3.5 w-3.5 shrink-0";
  if (direction === "asc") return <ArrowUp aria-hidden="true" className={className} />;
  if (direction === "desc") return <ArrowDown aria-hidden="true" className={className} />;
  return <ArrowUpDown aria-hidden="true" className={`${className} opacity-40`} />;
}

function openRow<T>(event: MouseEvent<HTMLTableRowElement>, row: T, onRowClick: ((row: T) => void) | undefined) {
  if (!onRowClick) return;
  if (event.target instanceof Element && event.target.closest(INTERACTIVE)) return;
  // Someone selecting text to copy it did not mean to leave the page.
  if (window.getSelection()?.toString()) return;
  onRowClick(row);
}

const cellClass = "px-3 py-2 align-top";

/**
 * A table over TanStack Table: sortable headers are buttons with aria-sort on their th, optional
 * checkboxes with a select-all for the rows shown, and a frame that scrolls sideways on phones.
 * Sorting and paging are the caller's (usually the server's); the table renders rows in the order given.
 */
export function DataTable<T extends RowData>({ caption, data, columns, getRowId, sort, select, onRowClick, busy = false }: DataTableProps<T>) {
  const columnDefs = useColumnDefs(columns);
  const sorting = sort?.sorting ?? NO_SORTING;
  const selected = select?.selected ?? NO_SELECTION;
  const table = useTable({
    features,
    columns: columnDefs,
    data,
    getRowId: (row) => getRowId(row),
    state: { sorting, rowSelection: selected },
    manualSorting: true,
    enableSorting: Boolean(sort),
    enableSortingRemoval: false,
    enableMultiSort: false,
    enableRowSelection: Boolean(select),
    onSortingChange: (updater) => sort?.onSortingChange(functionalUpdate(updater, sorting)),
    onRowSelectionChange: (updater) => select?.onSelectedChange(functionalUpdate(updater, selected)),
  });
  const allSelected = table.getIsAllPageRowsSelected();
  const someSelected = table.getIsSomePageRowsSelected();
  const classOf = new Map(columns.map((column) => [column.id, column.className ?? ""]));

  return (
    // A focusable region, so a keyboard can scroll a table wider than a phone.
    <div role="region" aria-label={caption} tabIndex={0} className="overflow-x-auto rounded-lg border border-slate-200 bg-white focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-slate-800 dark:bg-slate-900">
      <table aria-busy={busy || undefined} className={`min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800 ${busy ? "opacity-60" : ""}`}>
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase dark:bg-slate-800/60 dark:text-slate-300">
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {select && (
                <th scope="col" className="w-10 px-3 py-2">
                  <input
                    type="checkbox"
                    aria-label="Select all rows on this page"
                    className="h-4 w-4 rounded border-slate-300 dark:border-slate-600"
                    checked={allSelected}
                    ref={(input) => {
                      if (input) input.indeterminate = someSelected && !allSelected;
                    }}
                    disabled={data.length === 0}
                    onChange={table.getToggleAllPageRowsSelectedHandler()}
                  />
                </th>
              )}
              {group.headers.map((header) => {
                const column = header.column;
                const direction = column.getIsSorted();
                const className = `${cellClass} whitespace-nowrap ${classOf.get(column.id) ?? ""}`;
                if (!column.getCanSort()) {
                  return (
                    <th key={header.id} scope="col" className={className}>
                      <table.FlexRender header={header} />
                    </th>
                  );
                }
                return (
                  <th key={header.id} scope="col" aria-sort={ariaSort(direction)} className={className}>
                    <button
                      type="button"
                      onClick={column.getToggleSortingHandler()}
                      className="-mx-1 inline-flex items-center gap-1 rounded px-1 uppercase hover:text-slate-900 dark:hover:text-white"
                    >
                      <table.FlexRender header={header} />
                      <SortIcon direction={direction} />
                    </button>
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
          {table.getRowModel().rows.map((row) => {
            const isSelected = row.getIsSelected();
            return (
              <tr
                key={row.id}
                onClick={(event) => openRow(event, row.original, onRowClick)}
                className={`${onRowClick ? "cursor-pointer" : ""} ${
                  isSelected ? "bg-indigo-50 dark:bg-indigo-950/40" : "hover:bg-slate-50 dark:hover:bg-slate-800/50"
                }`}
              >
                {select && (
                  <td className="w-10 px-3 py-2 align-top">
                    <input
                      type="checkbox"
                      aria-label={`Select ${select.rowLabel(row.original)}`}
                      className="h-4 w-4 rounded border-slate-300 dark:border-slate-600"
                      checked={isSelected}
                      onChange={row.getToggleSelectedHandler()}
                    />
                  </td>
                )}
                {row.getAllCells().map((cell) => (
                  <td key={cell.id} className={`${cellClass} ${classOf.get(cell.column.id) ?? ""}`}>
                    <table.FlexRender cell={cell} />
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
