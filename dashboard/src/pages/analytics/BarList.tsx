import { useId, useState } from "react";
import { formatNumber } from "../../lib/format";
import { type ShareRow, formatShare } from "./shares";

const FIRST_ROWS = 8;

/** A compact list of labelled counts, each with its share as a bar and a percentage. */
export function BarList({ rows, label, emptyText = "No data in this range." }: { rows: ShareRow[]; label: string; emptyText?: string }) {
  const [expanded, setExpanded] = useState(false);
  const listId = useId();
  if (rows.length === 0) return <p className="text-sm text-slate-500 dark:text-slate-400">{emptyText}</p>;
  const shown = expanded ? rows : rows.slice(0, FIRST_ROWS);
  return (
    <>
      <table id={listId} className="w-full table-fixed text-sm">
        <caption className="sr-only">{label}: clicks and share of all clicks</caption>
        {/* Fixed layout takes its widths from here: the (visually hidden) header row cannot give them. */}
        <colgroup>
          <col />
          <col className="w-20" />
          <col className="w-16" />
        </colgroup>
        <thead className="sr-only">
          <tr>
            <th scope="col">{label}</th>
            <th scope="col">Clicks</th>
            <th scope="col">Share</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={row.key}>
              <th scope="row" className="relative py-1 pr-2 text-left font-normal">
                <span aria-hidden="true" className="absolute inset-y-0.5 left-0 rounded bg-indigo-100 dark:bg-indigo-950" style={{ width: `${Math.max(row.share * 100, row.clicks > 0 ? 1 : 0)}%` }} />
                <span className={`relative block truncate px-2 ${row.other ? "text-slate-600 italic dark:text-slate-300" : ""}`} title={row.label}>
                  {row.label}
                </span>
              </th>
              <td className="py-1 text-right tabular-nums">{formatNumber(row.clicks)}</td>
              <td className="py-1 text-right text-slate-500 tabular-nums dark:text-slate-400">{formatShare(row.share)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > FIRST_ROWS && (
        <button
          type="button"
          aria-expanded={expanded}
          aria-controls={listId}
          onClick={() => setExpanded(!expanded)}
          className="mt-2 text-xs font-medium text-indigo-700 hover:underline dark:text-indigo-300"
        >
          {expanded ? "Show fewer" : `Show all ${rows.length}`}
          <span className="sr-only"> {label.toLowerCase()}</span>
        </button>
      )}
    </>
  );
}
