import { formatNumber } from "../../lib/format";

/** One column of numbers: its header, and the number of each point. */
export type SeriesColumn<P> = { name: string; value: (point: P) => number };

type Props<P> = {
  id: string;
  /** What the chart shows, e.g. "Clicks over time": the table's caption and the name of its region. */
  title: string;
  points: P[];
  columns: SeriesColumn<P>[];
  hidden: boolean;
};

/** A chart's numbers as a table, one row per point: for screen readers and for reading exact values. */
export function SeriesTable<P extends { start: string; label: string }>({ id, title, points, columns, hidden }: Props<P>) {
  return (
    <div id={id} hidden={hidden} tabIndex={0} role="region" aria-label={`${title} as a table (scrollable)`} className="mt-4 max-h-80 overflow-auto rounded-md border border-slate-200 dark:border-slate-800">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{title}</caption>
        <thead className="sticky top-0 bg-slate-50 text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">
              Period
            </th>
            {columns.map((column) => (
              <th key={column.name} scope="col" className="px-3 py-2 text-right font-medium">
                {column.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 tabular-nums dark:divide-slate-800">
          {points.map((point) => (
            <tr key={point.start}>
              <th scope="row" className="px-3 py-1.5 font-normal whitespace-nowrap">
                {point.label}
              </th>
              {columns.map((column) => (
                <td key={column.name} className="px-3 py-1.5 text-right">
                  {formatNumber(column.value(point))}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
