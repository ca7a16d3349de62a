import { Bot, User } from "lucide-react";
import { Card } from "../../components/Card";
import { ErrorState } from "../../components/States";
import { formatDateTime } from "../../lib/format";
import { routeLabel } from "../links/routing";
import { countryName } from "./countries";
import { RECENT_CLICKS, type RecentClick } from "./queries";
import { Skeleton } from "./Skeleton";

const th = "px-3 py-2 font-medium whitespace-nowrap";
const td = "px-3 py-2 whitespace-nowrap";
const dash = (value: string | null) => value ?? "—";

function Kind({ bot }: { bot: boolean }) {
  const Icon = bot ? Bot : User;
  return (
    <span className={`inline-flex items-center gap-1 ${bot ? "text-amber-700 dark:text-amber-300" : "text-slate-600 dark:text-slate-300"}`}>
      <Icon aria-hidden="true" className="h-3.5 w-3.5" />
      {bot ? "Bot" : "Human"}
    </span>
  );
}

/** The link's latest clicks, whatever the range: when, where from, on what, and whether a bot. */
export function RecentClicksTable({ clicks, error, onRetry, includeBots }: { clicks: RecentClick[] | undefined; error: unknown; onRetry(): void; includeBots: boolean }) {
  let body;
  if (error) body = <ErrorState error={error} onRetry={onRetry} />;
  else if (!clicks) body = <Skeleton className="h-40" />;
  else if (clicks.length === 0) body = <p className="text-sm text-slate-500 dark:text-slate-400">No clicks yet{includeBots ? "" : " from humans"}.</p>;
  else {
    // A link that never had rules or variants: no column that would say "Default target" on every row.
    const routed = clicks.some((click) => click.route);
    const headings = ["Time", "Country", "City", "Browser", "OS", "Device", "Referrer", "Kind", ...(routed ? ["Route"] : [])];
    body = (
      <div className="-mx-4 max-h-[32rem] overflow-auto" tabIndex={0} role="region" aria-label="Recent clicks (scrollable)">
        <table className="w-full min-w-[48rem] text-left text-sm">
          <caption className="sr-only">The latest {RECENT_CLICKS} clicks, newest first</caption>
          <thead className="sticky top-0 bg-white text-xs text-slate-600 dark:bg-slate-900 dark:text-slate-300">
            <tr className="border-b border-slate-200 dark:border-slate-800">
              {headings.map((heading) => (
                <th key={heading} scope="col" className={th}>
                  {heading}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {clicks.map((click, index) => (
              <tr key={`${click.clicked_at}-${index}`}>
                <td className={td}>
                  <time dateTime={click.clicked_at}>{formatDateTime(click.clicked_at)}</time>
                </td>
                <td className={td}>{click.country ? countryName(click.country) : "—"}</td>
                <td className={td}>{dash(click.city)}</td>
                <td className={td}>{dash(click.browser)}</td>
                <td className={td}>{dash(click.os)}</td>
                <td className={`${td} capitalize`}>{dash(click.device)}</td>
                <td className={`${td} max-w-[14rem] truncate`} title={click.referrer_host ?? undefined}>
                  {click.referrer_host ?? "Direct or unknown"}
                </td>
                <td className={td}>
                  <Kind bot={click.is_bot} />
                </td>
                {routed && <td className={td}>{routeLabel(click.route)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  return (
    <Card title="Recent clicks">
      <p className="mb-3 text-xs text-slate-500 dark:text-slate-400">
        The latest {RECENT_CLICKS} {includeBots ? "clicks, bots included" : "human clicks"}, newest first, whatever the range. Times in your time zone.
      </p>
      {body}
    </Card>
  );
}
