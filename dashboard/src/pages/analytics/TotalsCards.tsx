import type { ReactNode } from "react";
import { formatNumber } from "../../lib/format";
import type { Analytics } from "./queries";
import { humanPercent } from "./shares";

/** One number in a `<dl>` of totals, with a line or a widget under it. */
export function StatCard({ label, value, children, className = "" }: { label: string; value: ReactNode; children?: ReactNode; className?: string }) {
  return (
    <div className={`rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900 ${className}`}>
      <dt className="text-sm font-medium text-slate-600 dark:text-slate-300">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums">{value}</dd>
      {children && <dd className="mt-2 text-xs text-slate-500 dark:text-slate-400">{children}</dd>}
    </div>
  );
}

/** What the visitors number really is: distinct IP + user agent pairs over the range, estimated with HyperLogLog. */
export function VisitorsHint({ overview }: { overview: boolean }) {
  return (
    <details className="group">
      <summary className="cursor-pointer text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-300">What counts as a visitor?</summary>
      <p className="mt-1">
        One IP address with one browser (user agent), counted once in the range however many days they come back
        {overview ? " and however many of your links they open" : ""}; each point of the chart counts its own visitors. Exact up to a few
        hundred, then an estimate typically within 1.6%. Hop never stores who a visitor is: only a sketch of hashes that cannot be traced back to an
        address.
      </p>
    </details>
  );
}

/** Humans and bots as one bar, with both counts under it. */
export function BotSplit({ human, bot }: { human: number; bot: number }) {
  const percent = humanPercent(human, bot);
  const description = percent === null ? "No clicks yet" : `${percent}% humans, ${100 - percent}% bots`;
  return (
    <>
      <div role="img" aria-label={description} className="flex h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700">
        {percent !== null && (
          <>
            <span className="bg-indigo-600 dark:bg-indigo-400" style={{ width: `${(human / (human + bot)) * 100}%` }} />
            <span className="bg-amber-500 dark:bg-amber-400" style={{ width: `${(bot / (human + bot)) * 100}%` }} />
          </>
        )}
      </div>
      <p className="mt-1.5 flex flex-wrap justify-between gap-x-3">
        <span>
          <span aria-hidden="true" className="mr-1 inline-block h-2 w-2 rounded-full bg-indigo-600 dark:bg-indigo-400" />
          Humans {formatNumber(human)}
        </span>
        <span>
          <span aria-hidden="true" className="mr-1 inline-block h-2 w-2 rounded-full bg-amber-500 dark:bg-amber-400" />
          Bots {formatNumber(bot)}
        </span>
      </p>
    </>
  );
}

/** The range's totals; with `allTime` (one link's page) also its clicks since it was made. */
export function TotalsCards({ data, includeBots, allTime }: { data: Analytics; includeBots: boolean; allTime?: number | null }) {
  const human = humanPercent(data.human_clicks, data.bot_clicks);
  return (
    <dl className={`grid grid-cols-1 gap-4 sm:grid-cols-2 ${allTime == null ? "xl:grid-cols-3" : "xl:grid-cols-4"}`}>
      <StatCard label="Clicks" value={formatNumber(data.clicks)}>
        {includeBots ? "Humans and bots, in this range" : "Humans only, in this range"}
      </StatCard>
      <StatCard label="Unique visitors" value={formatNumber(data.visitors)}>
        <VisitorsHint overview={data.code == null} />
      </StatCard>
      <StatCard label="Humans vs bots" value={human === null ? "—" : `${human}% human`}>
        <BotSplit human={data.human_clicks} bot={data.bot_clicks} />
      </StatCard>
      {allTime != null && (
        <StatCard label="All-time clicks" value={formatNumber(allTime)}>
          Every click since the link was made, bots included
        </StatCard>
      )}
    </dl>
  );
}
