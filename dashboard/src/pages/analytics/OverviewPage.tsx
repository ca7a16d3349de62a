import { Link, useLocation } from "react-router";
import { buttonClass } from "../../components/Button";
import { PageHeader } from "../../components/Card";
import { EmptyState } from "../../components/States";
import { AnalyticsBody, NoClicks } from "./AnalyticsBody";
import { DateRangePicker } from "./DateRangePicker";
import { LiveClicks } from "./LiveClicks";
import { ACCOUNT_FEED_URL } from "./liveFeed";
import { useOverview, useTopLinks } from "./queries";
import { TopLinksTable } from "./TopLinksTable";
import { UpdatedNote } from "./UpdatedNote";
import { useRangeParams } from "./useRangeParams";

/** /analytics: clicks across all of the signed-in user's links. */
export default function OverviewPage() {
  const range = useRangeParams();
  const { search } = useLocation();
  const overview = useOverview(range.selection, range.tz, range.valid);
  const topLinks = useTopLinks(range.selection, range.tz, range.valid);
  const updatedAt = Math.max(overview.dataUpdatedAt, topLinks.dataUpdatedAt);
  return (
    <>
      <PageHeader
        title="Analytics"
        description="Clicks across all your links."
        actions={range.valid ? <UpdatedNote updatedAt={updatedAt} fetching={overview.isFetching || topLinks.isFetching} /> : undefined}
      />
      <DateRangePicker range={range} />
      {range.valid ? (
        <AnalyticsBody
          query={overview}
          selection={range.selection}
          empty={
            <NoClicks
              action={
                <Link to="/links" className={buttonClass("secondary")}>
                  Go to your links
                </Link>
              }
            />
          }
          middle={
            <TopLinksTable
              links={topLinks.data}
              error={topLinks.data ? null : topLinks.error}
              onRetry={() => void topLinks.refetch()}
              includeBots={range.selection.includeBots}
              search={search}
            />
          }
        />
      ) : (
        <EmptyState title="Choose a valid range">Correct the dates above to see the numbers.</EmptyState>
      )}
      <div className="mt-6">
        <LiveClicks url={ACCOUNT_FEED_URL} showCode />
      </div>
    </>
  );
}
