import type { UseQueryResult } from "@tanstack/react-query";
import { PageHeader } from "../../components/Card";
import { EmptyState } from "../../components/States";
import { formatNumber } from "../../lib/format";
import { Notice } from "../analytics/Notice";
import { QueryBody } from "../analytics/QueryBody";
import { DateRangePicker } from "../analytics/DateRangePicker";
import { BotSplit, StatCard } from "../analytics/TotalsCards";
import { UpdatedNote } from "../analytics/UpdatedNote";
import { useRangeParams } from "../analytics/useRangeParams";
import { OrphanVisitsChart } from "./OrphanVisitsChart";
import { RecentVisitsTable, TopPathsTable } from "./OrphanTables";
import { KIND_INFO, ORPHAN_KINDS, type OrphanVisits, botPercent, shareText } from "./orphans";
import { useOrphanVisits } from "./queries";

/** /admin/orphan-visits: requests the edge answered 404, for admins (they belong to no link, so to no owner). */
export default function OrphanVisitsPage() {
  const range = useRangeParams();
  const query = useOrphanVisits(range.selection, range.tz, range.valid);
  return (
    <>
      <PageHeader
        title="Orphan visits"
        description="Requests to the short domain that lead to no link, which the edge answered with 404 Not Found."
        actions={range.valid ? <UpdatedNote updatedAt={query.dataUpdatedAt} fetching={query.isFetching} /> : undefined}
      />
      <div className="mb-6">
        <Notice>
          Mistyped or dead short links, scanners probing for admin pages, visitors trying the bare domain: they all show up here, bots included. The
          edge records at most <code className="text-xs">HOP_EDGE_ORPHAN_VISITS_PER_SECOND</code> of them per second in each edge process (10 by
          default), so under a flood of 404s these numbers are a sample.
        </Notice>
      </div>
      <DateRangePicker range={range} bots={false} />
      {range.valid ? <Body query={query} /> : <EmptyState title="Choose a valid range">Correct the dates above to see the numbers.</EmptyState>}
    </>
  );
}

function Body({ query }: { query: UseQueryResult<OrphanVisits> }) {
  return (
    <QueryBody query={query}>
      {(data) =>
        data.total === 0 ? (
          EMPTY
        ) : (
          <>
            <Totals data={data} />
            <OrphanVisitsChart data={data} interval={data.range.interval} />
            <TopPathsTable paths={data.paths} total={data.total} />
            <RecentVisitsTable visits={data.recent} />
          </>
        )
      }
    </QueryBody>
  );
}

const EMPTY = (
  <EmptyState title="No orphan visits in this range">
    Every request to the short domain found its link. Choose a longer range to look further back; new orphan visits show up here within seconds.
  </EmptyState>
);

function Totals({ data }: { data: OrphanVisits }) {
  const bots = botPercent(data.total, data.bot_visits);
  return (
    <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-6">
      <StatCard label="Orphan visits" value={formatNumber(data.total)} className="lg:col-span-3">
        Requests answered 404 in this range, bots included
      </StatCard>
      <StatCard label="Bots" value={bots === null ? "—" : `${bots}% bots`} className="lg:col-span-3">
        <BotSplit human={data.total - data.bot_visits} bot={data.bot_visits} />
      </StatCard>
      {ORPHAN_KINDS.map((kind, index) => (
        <StatCard
          key={kind}
          label={KIND_INFO[kind].label}
          value={
            <>
              {formatNumber(data.by_kind[kind])}{" "}
              <span className="ml-1 text-sm font-normal text-slate-500 dark:text-slate-400">
                {shareText(data.by_kind[kind], data.total)}
                <span className="sr-only"> of all orphan visits</span>
              </span>
            </>
          }
          // Five cards: on two columns the last takes a whole row.
          className={index === ORPHAN_KINDS.length - 1 ? "sm:col-span-2 lg:col-span-2" : "lg:col-span-2"}
        >
          {KIND_INFO[kind].explanation}
        </StatCard>
      ))}
    </dl>
  );
}
