import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../api/problem";
import { PageHeader } from "../../components/Card";
import { CopyButton } from "../../components/CopyButton";
import { DownloadButton } from "../../components/DownloadButton";
import { EmptyState } from "../../components/States";
import { formatNumber } from "../../lib/format";
import { AnalyticsBody, NoClicks } from "./AnalyticsBody";
import { DateRangePicker } from "./DateRangePicker";
import { type LinkPublic, clicksCsvUrl, useLinkAnalytics, useLinkHeader, useRecentClicks } from "./queries";
import { LiveClicks } from "./LiveClicks";
import { linkFeedUrl } from "./liveFeed";
import { RecentClicksTable } from "./RecentClicksTable";
import { UpdatedNote } from "./UpdatedNote";
import { type RangeState, useRangeParams } from "./useRangeParams";
import { LinkNotFound } from "../links/LinkNotFound";
import { type LinkRef, domainParam, linkLabel, linkPage } from "../links/linkRef";

// A ?domain= that is no domain at all is a 422: no such link either.
const isNotFound = (error: unknown) => error instanceof ApiError && (error.status === 404 || error.status === 422);

function ExportCsvButton({ linkRef, range }: { linkRef: LinkRef; range: RangeState }) {
  return (
    <DownloadButton
      url={clicksCsvUrl(linkRef, range.selection, range.tz)}
      filename={`clicks-${linkRef.code}.csv`}
      disabled={!range.valid}
      title="Every click in the range, bots included and flagged"
    >
      Export CSV
    </DownloadButton>
  );
}

function LinkDescription({ linkRef, link, allTime }: { linkRef: LinkRef; link: LinkPublic | undefined; allTime: number | undefined }) {
  return (
    <span className="flex flex-wrap items-center gap-x-3 gap-y-1">
      {link ? (
        <>
          <a href={link.short_url} target="_blank" rel="noreferrer" className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
            {link.short_url}
          </a>
          <CopyButton text={link.short_url} label="Copy short URL" />
        </>
      ) : (
        <span>{linkLabel(linkRef)}</span>
      )}
      {allTime !== undefined && <span>{formatNumber(allTime)} {allTime === 1 ? "click" : "clicks"} all time</span>}
      <Link to={linkPage(linkRef)} className="text-indigo-700 hover:underline dark:text-indigo-300">
        Link details
      </Link>
    </span>
  );
}

/** /links/:code/analytics: one link's clicks, recent clicks and raw CSV export. */
export default function LinkAnalyticsPage() {
  const code = useParams().code ?? "";
  const [search] = useSearchParams();
  const domain = domainParam(search);
  const linkRef = useMemo(() => ({ code, domain }), [code, domain]);
  const range = useRangeParams();
  const header = useLinkHeader(linkRef);
  const analytics = useLinkAnalytics(linkRef, range.selection, range.tz, range.valid);
  const recent = useRecentClicks(linkRef, range.selection.includeBots);
  const feedUrl = useMemo(() => linkFeedUrl(linkRef), [linkRef]);
  if (isNotFound(header.error) || isNotFound(analytics.error)) return <LinkNotFound code={linkLabel(linkRef)} />;
  const link = header.data;
  const allTime = analytics.data?.click_count ?? link?.click_count;
  const updatedAt = Math.max(analytics.dataUpdatedAt, recent.dataUpdatedAt);
  return (
    <>
      <PageHeader
        title={`Analytics: ${link?.title || code}`}
        description={<LinkDescription linkRef={linkRef} link={link} allTime={allTime ?? undefined} />}
        actions={
          <div className="flex flex-wrap items-start gap-3">
            <UpdatedNote updatedAt={updatedAt} fetching={analytics.isFetching || recent.isFetching} />
            <ExportCsvButton linkRef={linkRef} range={range} />
          </div>
        }
      />
      <DateRangePicker range={range} />
      <div className="space-y-6">
        {range.valid ? (
          <AnalyticsBody
            query={analytics}
            selection={range.selection}
            allTime={allTime}
            routed={Boolean(link?.rules?.length || link?.variants?.length)}
            empty={<NoClicks>This link has no clicks in this range. Choose a longer range, or share it and come back.</NoClicks>} />
        ) : (
          <EmptyState title="Choose a valid range">Correct the dates above to see the numbers.</EmptyState>
        )}
        <RecentClicksTable clicks={recent.data} error={recent.data ? null : recent.error} onRetry={() => void recent.refetch()} includeBots={range.selection.includeBots} />
        <LiveClicks url={feedUrl} />
      </div>
    </>
  );
}
