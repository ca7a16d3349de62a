import { RefreshCw } from "lucide-react";

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** "Updated 14:03:27": when the numbers on screen were fetched; they refresh by themselves. */
export function UpdatedNote({ updatedAt, fetching }: { updatedAt: number; fetching: boolean }) {
  if (!updatedAt) return null;
  return (
    <p className="inline-flex items-center gap-1.5 text-xs text-slate-500 dark:text-slate-400" title="Refreshes every 15 seconds while this tab is visible">
      <RefreshCw aria-hidden="true" className={`h-3.5 w-3.5 ${fetching ? "animate-spin" : ""}`} />
      Updated <time dateTime={new Date(updatedAt).toISOString()}>{clock.format(updatedAt)}</time>
    </p>
  );
}
