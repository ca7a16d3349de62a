import { Pause, Play, Radio } from "lucide-react";
import { useEffect, useState } from "react";
import type { ApiError } from "../../api/problem";
import { Badge, type BadgeTone } from "../../components/Badge";
import { Button } from "../../components/Button";
import { Card } from "../../components/Card";
import { formatDateTime, formatNumber } from "../../lib/format";
import { linkLabel } from "../links/linkRef";
import { routeLabel } from "../links/routing";
import { countryName } from "./countries";
import { type FeedClick, type FeedStatus, LIVE_CLICKS_SHOWN, watchFeed, withClick } from "./liveFeed";

const th = "px-3 py-2 font-medium whitespace-nowrap";
const td = "px-3 py-2 whitespace-nowrap";
const STATUS: Record<FeedStatus, { label: string; tone: BadgeTone }> = {
  connecting: { label: "Connecting…", tone: "neutral" },
  live: { label: "Live", tone: "success" },
  reconnecting: { label: "Reconnecting…", tone: "warning" },
  stopped: { label: "Paused", tone: "neutral" },
};

function useLiveFeed(url: string, watching: boolean, onStopped: () => void) {
  const [clicks, setClicks] = useState<FeedClick[]>([]);
  const [received, setReceived] = useState(0);
  const [status, setStatus] = useState<FeedStatus>("stopped");
  const [error, setError] = useState<ApiError>();
  const [gap, setGap] = useState(false);
  useEffect(() => {
    if (!watching) return;
    const controller = new AbortController();
    setError(undefined);
    void watchFeed(
      url,
      {
        onClick(click) {
          setClicks((shown) => withClick(shown, click));
          setReceived((count) => count + 1);
        },
        onGap: () => setGap(true),
        onStatus(next, failure) {
          setStatus(next);
          if (failure) setError(failure);
          if (next === "stopped") onStopped();
        },
      },
      controller.signal,
    );
    return () => {
      controller.abort();
      setStatus("stopped");
    };
  }, [url, watching, onStopped]);
  return { clicks, received, status, error, gap };
}

function LiveTable({ clicks, showCode }: { clicks: FeedClick[]; showCode: boolean }) {
  const headings = ["Time", ...(showCode ? ["Link"] : []), "Country", "Browser", "OS", "Device", "Referrer", "Route"];
  return (
    <div className="-mx-4 max-h-[28rem] overflow-auto" tabIndex={0} role="region" aria-label="Live clicks (scrollable)">
      <table className="w-full min-w-[44rem] text-left text-sm">
        <caption className="sr-only">Clicks as they happen, newest first</caption>
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
            <tr key={`${click.clicked_at}-${clicks.length - index}`}>
              <td className={td}>
                <time dateTime={click.clicked_at}>{formatDateTime(click.clicked_at)}</time>
              </td>
              {showCode && <td className={`${td} font-mono`}>{linkLabel({ code: click.code, domain: click.domain ?? null })}</td>}
              <td className={td}>{click.country ? countryName(click.country) : "—"}</td>
              <td className={td}>{click.browser || "—"}</td>
              <td className={td}>{click.os || "—"}</td>
              <td className={`${td} capitalize`}>{click.is_bot ? "bot" : click.device || "—"}</td>
              <td className={`${td} max-w-[12rem] truncate`} title={click.referrer_host || undefined}>
                {click.referrer_host || "Direct or unknown"}
              </td>
              <td className={td}>{routeLabel(click.route)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Clicks as the worker counts them, within about a second of the redirect, while the viewer watches. */
export function LiveClicks({ url, showCode = false }: { url: string; showCode?: boolean }) {
  const [watching, setWatching] = useState(false);
  const [stop] = useState(() => () => setWatching(false));
  const { clicks, received, status, error, gap } = useLiveFeed(url, watching, stop);
  const shown = STATUS[watching ? status : "stopped"];
  return (
    <Card
      title={
        <span className="inline-flex items-center gap-2">
          <Radio aria-hidden="true" className="h-4 w-4" /> Live clicks
        </span>
      }
      actions={
        <div className="flex items-center gap-3">
          <span aria-live="polite">
            <Badge tone={shown.tone}>{shown.label}</Badge>
          </span>
          <Button variant="secondary" onClick={() => setWatching(!watching)} aria-pressed={watching}>
            {watching ? <Pause aria-hidden="true" className="h-4 w-4" /> : <Play aria-hidden="true" className="h-4 w-4" />}
            {watching ? "Pause" : "Watch live"}
          </Button>
        </div>
      }
    >
      <p className="mb-3 text-xs text-slate-500 dark:text-slate-400">
        {watching
          ? `${formatNumber(received)} ${received === 1 ? "click" : "clicks"} since you started watching; the latest ${LIVE_CLICKS_SHOWN} are shown.`
          : "Watch clicks arrive as they happen. Nothing is fetched until you start."}
      </p>
      {error && (
        <p role="alert" className="mb-3 text-sm text-red-700 dark:text-red-300">
          {error.message}
        </p>
      )}
      {gap && (
        <p className="mb-3 text-sm text-amber-800 dark:text-amber-200">Some clicks from while the connection was down are not in this list; the totals above count them.</p>
      )}
      {clicks.length > 0 ? (
        <LiveTable clicks={clicks} showCode={showCode} />
      ) : (
        watching && <p className="text-sm text-slate-500 dark:text-slate-400">Waiting for the next click…</p>
      )}
    </Card>
  );
}
