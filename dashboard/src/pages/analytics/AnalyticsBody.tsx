import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { EmptyState } from "../../components/States";
import { formatNumber } from "../../lib/format";
import { type BreakdownData, Breakdowns } from "./Breakdowns";
import { ClicksChart } from "./ClicksChart";
import { PRESET_LABELS, type RangeSelection } from "./range";
import { Notice } from "./Notice";
import { QueryBody } from "./QueryBody";
import { StreamGapsAlert } from "./StreamGapsAlert";
import { TotalsCards } from "./TotalsCards";

/** A name for files exported from this view: the preset, or a custom range's dates. */
export function rangeFileLabel(selection: RangeSelection): string {
  return selection.preset === "custom" ? `${selection.from} to ${selection.to}` : PRESET_LABELS[selection.preset];
}

type Props = {
  query: UseQueryResult<BreakdownData>;
  selection: RangeSelection;
  /** One link's page shows its all-time count among the totals. */
  allTime?: number | null;
  /** What to show when the range holds no click at all. */
  empty: ReactNode;
  /** Shown between the chart and the breakdowns (the overview's top links). */
  middle?: ReactNode;
  /** One link's page: the link has rules or a split, so its routes are shown even when none was taken. */
  routed?: boolean;
};

/** Totals, the chart and the breakdowns of one analytics answer, with its loading, error and empty states. */
export function AnalyticsBody({ query, selection, allTime, empty, middle, routed }: Props) {
  const fileLabel = rangeFileLabel(selection);
  return (
    <QueryBody query={query}>
      {(data) => (
        <>
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
              <Breakdowns data={data} fileLabel={fileLabel} routed={routed} />
            </>
          )}
        </>
      )}
    </QueryBody>
  );
}

export function NoClicks({ children, action }: { children?: ReactNode; action?: ReactNode }) {
  return (
    <EmptyState title="No clicks in this range" action={action}>
      {children ?? "Choose a longer range, or share your short links and come back: new clicks show up here within seconds."}
    </EmptyState>
  );
}
