import { AlertTriangle } from "lucide-react";
import { formatDateTimeIn, formatNumber } from "../../lib/format";
import { type StreamGap, gapListItem, gapMessage } from "./gaps";

/** Gaps listed one by one at most; a worker that lags for long can record one per transaction. */
export const MAX_LISTED_GAPS = 5;

function GapList({ gaps, timeZone }: { gaps: StreamGap[]; timeZone: string }) {
  const listed = gaps.slice(0, MAX_LISTED_GAPS);
  const rest = gaps.length - listed.length;
  const last = gaps.at(-1);
  return (
    <div className="space-y-1">
      <p className="font-medium">Clicks may be missing from these numbers at {formatNumber(gaps.length)} times in this range:</p>
      <ul className="list-disc space-y-0.5 pl-5">
        {listed.map((gap, index) => (
          <li key={`${gap.start ?? ""}-${gap.end}-${index}`}>{gapListItem(gap, timeZone)}</li>
        ))}
        {rest > 0 && last && (
          <li>
            And {formatNumber(rest)} more, the last ending {formatDateTimeIn(last.end, timeZone)}.
          </li>
        )}
      </ul>
    </div>
  );
}

/**
 * A warning, announced to screen readers, that clicks may be missing from the numbers shown
 * (click stream gaps in the range); nothing when there is none. Times are in `timeZone`, the one
 * the page asked the API in.
 */
export function StreamGapsAlert({ gaps, timeZone }: { gaps: StreamGap[]; timeZone: string }) {
  const [first] = gaps;
  if (!first) return null;
  return (
    <div
      role="alert"
      className="flex gap-2.5 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-100"
    >
      <AlertTriangle aria-hidden="true" className="mt-0.5 h-4 w-4 shrink-0 text-amber-600 dark:text-amber-400" />
      {gaps.length === 1 ? <p>{gapMessage(first, timeZone)}</p> : <GapList gaps={gaps} timeZone={timeZone} />}
    </div>
  );
}
