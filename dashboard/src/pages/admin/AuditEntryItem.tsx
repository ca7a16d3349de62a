import { formatDateTime } from "../../lib/format";
import { type AuditEntry, type DiffKind, actorLabel, auditDiff, entityLabel } from "./audit";

const KIND_LABELS: Record<DiffKind, string> = { added: "Added", removed: "Removed", changed: "Changed", unchanged: "Unchanged" };
const KIND_STYLES: Record<DiffKind, string> = {
  added: "bg-green-50 dark:bg-green-950/30",
  removed: "bg-red-50 dark:bg-red-950/30",
  changed: "bg-amber-50 dark:bg-amber-950/30",
  unchanged: "",
};

/** One entry: when, who, from where, what, to what; and, folded, what it changed field by field. */
export function AuditEntryItem({ entry, directory }: { entry: AuditEntry; directory: ReadonlyMap<number, string> | undefined }) {
  const diff = auditDiff(entry.old_values, entry.new_values);
  const facts: [string, string][] = [
    ["Actor", actorLabel(entry, directory)],
    ["Address", entry.client_ip || "—"],
    ["Entity", entityLabel(entry)],
  ];
  return (
    <li className="space-y-2 px-4 py-3">
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <span className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-sm font-medium dark:bg-slate-800">{entry.action}</span>
        <time dateTime={entry.at} className="text-sm text-slate-600 dark:text-slate-300">
          {formatDateTime(entry.at)}
        </time>
      </div>
      <dl className="grid gap-x-6 gap-y-1 text-sm sm:grid-cols-3">
        {facts.map(([term, value]) => (
          <div key={term} className="min-w-0">
            <dt className="inline text-slate-500 dark:text-slate-400">{term}: </dt>
            <dd className="inline break-all">{value}</dd>
          </div>
        ))}
      </dl>
      {diff.length > 0 && (
        <details className="group text-sm">
          <summary className="cursor-pointer text-indigo-600 select-none hover:underline dark:text-indigo-400">
            Changes ({diff.filter((row) => row.kind !== "unchanged").length} of {diff.length} fields)
          </summary>
          {/* Focusable, so that a keyboard can scroll it where it is wider than the screen. */}
          <div className="relative mt-2 overflow-x-auto" tabIndex={0} role="region" aria-label={`Changes of ${entry.action} at ${formatDateTime(entry.at)}`}>
            <table className="w-full min-w-[24rem] text-left text-xs">
              <thead className="text-slate-500 dark:text-slate-400">
                <tr>
                  <th scope="col" className="px-2 py-1 font-medium">Field</th>
                  <th scope="col" className="px-2 py-1 font-medium">Change</th>
                  <th scope="col" className="px-2 py-1 font-medium">Before</th>
                  <th scope="col" className="px-2 py-1 font-medium">After</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {diff.map((row) => (
                  <tr key={row.field} className={KIND_STYLES[row.kind]}>
                    <th scope="row" className="px-2 py-1 font-mono font-medium">{row.field}</th>
                    <td className="px-2 py-1">{KIND_LABELS[row.kind]}</td>
                    <td className="px-2 py-1 font-mono break-all">{row.before}</td>
                    <td className="px-2 py-1 font-mono break-all">{row.after}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </li>
  );
}
