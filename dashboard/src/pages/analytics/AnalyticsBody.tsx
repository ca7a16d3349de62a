import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { EmptyState, ErrorState } from "../../components/States";
import { errorMessage } from "../../api/problem";
import { formatNumber } from "../../lib/format";
import { Breakdowns } from "./Breakdowns";
import { ClicksChart } from "./ClicksChart";
import type { Analytics } from "./queries";
import { PRESET_LABELS, type RangeSelection } from "./range";
import { AnalyticsSkeleton } from "./Skeleton";
import { StreamGapsAlert } from "./StreamGapsAlert";
import { TotalsCards } from "./TotalsCards";

/** A name for files exported from this view: the preset, or a custom range's dates. */
export function rangeFileLabel(selection: RangeSelection): string {
  return selection.preset === "custom" ? `${selection.from} to ${selection.to}` : PRESET_LABELS[selection.preset];
}

function Notice({ children, tone = "info" }: { children: ReactNode; tone?: "info" | "warning" }) {
  const colours =
    tone === "warning"
      ? "border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-100"
      : "border-indigo-200 bg-indigo-50 text-indigo-900 dark:border-indigo-900 dark:bg-indigo-950/40 dark:text-indigo-100";
  return <p className={`rounded-md border px-3 py-2 text-sm ${colours}`}>{children}</p>;
}

type Props = {
  query: UseQueryResult<Analytics>;
  selection: RangeSelection;
  /** One link's page shows its all-time count among the totals. */
  allTime?: number | null;
  /** What to show when the range holds no click at all. */
  empty: ReactNode;
  /** Shown between the chart and the breakdowns (the overview's top links). */
  middle?: ReactNode;
};

/** Totals, the chart and the breakdowns of one analytics answer, with its loading, error and empty states. */
export function AnalyticsBody({ query, selection, allTime, empty, middle }: Props) {
  const { data, error } = query;
  if (!data) {
    if (query.isError) return <ErrorState error={error} onRetry={() => void query.refetch()} />;
    return <AnalyticsSkeleton />;
  }
  const fileLabel = rangeFileLabel(selection);
  return (
    <div aria-busy={query.isPlaceholderData || undefined} className={`space-y-6 transition-opacity ${query.isPlaceholderData ? "opacity-60" : ""}`}>
      {query.isError && (
        <Notice tone="warning">
          Could not refresh: {errorMessage(error)} The numbers below are from the last successful update.
        </Notice>
      )}
      {/* Above the empty state too: a range can look empty because its clicks were lost. */}
      <StreamGapsAlert gaps={data.gaps} timeZone={data.range.tz} />
      {data.total_clicks === 0 ? (
        empty
      ) : (
        <>
          {!selection.includeBots && data.clicks === 0 && (
            <Notice>
              All {formatNumber(data.bot_clicks)} clicks in this range came from bots. Turn on “Include bots” to see them.
            </Notice>
          )}
          <TotalsCards data={data} includeBots={selection.includeBots} allTime={allTime} />
          <ClicksChart data={data} interval={data.range.interval} includeBots={selection.includeBots} fileLabel={fileLabel} />
          {middle}
          <Breakdowns data={data} fileLabel={fileLabel} />
        </>
      )}
    </div>
  );
}

export function NoClicks({ children, action }: { children?: ReactNode; action?: ReactNode }) {
  return (
    <EmptyState title="No clicks in this range" action={action}>
      {children ?? "Choose a longer range, or share your short links and come back: new clicks show up here within seconds."}
    </EmptyState>
  );
}
