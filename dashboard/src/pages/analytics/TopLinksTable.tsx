import { Link } from "react-router";
import { Card } from "../../components/Card";
import { ErrorState } from "../../components/States";
import { formatNumber } from "../../lib/format";
import { linkKey, linkPage } from "../links/linkRef";
import type { TopLink } from "./queries";
import { Skeleton } from "./Skeleton";

const th = "px-3 py-2 font-medium whitespace-nowrap";
const num = "px-3 py-2 text-right tabular-nums";

/** The caller's most clicked links in the range, each leading to its own analytics. */
export function TopLinksTable({ links, error, onRetry, includeBots, search }: { links: TopLink[] | undefined; error: unknown; onRetry(): void; includeBots: boolean; search: string }) {
  let body;
  if (error) body = <ErrorState error={error} onRetry={onRetry} />;
  else if (!links) body = <Skeleton className="h-40" />;
  else if (links.length === 0) body = <p className="text-sm text-slate-500 dark:text-slate-400">No link was clicked in this range.</p>;
  else
    body = (
      <div className="-mx-4 overflow-x-auto" tabIndex={0} role="region" aria-label="Top links (scrollable)">
        <table className="w-full min-w-[36rem] text-left text-sm">
          <caption className="sr-only">Your most clicked links in this range</caption>
          <thead className="text-xs text-slate-600 dark:text-slate-300">
            <tr className="border-b border-slate-200 dark:border-slate-800">
              <th scope="col" className={th}>
                Link
              </th>
              <th scope="col" className={`${th} text-right`}>
                Clicks
              </th>
              <th scope="col" className={`${th} text-right`}>
                Humans
              </th>
              <th scope="col" className={`${th} text-right`}>
                Bots
              </th>
              <th scope="col" className={`${th} text-right`}>
                Visitors
              </th>
              <th scope="col" className={`${th} text-right`}>
                All time
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {links.map((link) => (
              <tr key={linkKey(link)}>
                <td className="max-w-[16rem] px-3 py-2">
                  <Link to={linkPage(link, "/analytics", new URLSearchParams(search))} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                    {link.title || link.code}
                  </Link>
                  <span className="block truncate text-xs text-slate-500 dark:text-slate-400" title={link.target_url}>
                    {link.domain ? `${link.domain} · ` : ""}
                    {link.title ? `${link.code} · ` : ""}
                    {link.target_url}
                  </span>
                </td>
                <td className={num}>{formatNumber(link.clicks)}</td>
                <td className={num}>{formatNumber(link.human_clicks)}</td>
                <td className={num}>{formatNumber(link.bot_clicks)}</td>
                <td className={num}>{formatNumber(link.visitors)}</td>
                <td className={num}>{formatNumber(link.click_count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  return (
    <Card title="Top links">
      {body}
      {links && links.length > 0 && (
        <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">Ordered by {includeBots ? "all clicks" : "human clicks"} in this range; "All time" counts every click since each link was made.</p>
      )}
    </Card>
  );
}
