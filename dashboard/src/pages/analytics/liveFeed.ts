import { EventSourceParserStream } from "eventsource-parser/stream";
import { authorizedFetch } from "../../api/client";
import { ApiError } from "../../api/problem";
import { type LinkRef, linkApiUrl } from "../links/linkRef";

/** One click as the live feed sends it (admin/click_feed.py): enriched, never the visitor's address. */
export type FeedClick = {
  /** The link's short domain; null (or absent, from before there were domains): the default one. */
  domain?: string | null;
  code: string;
  clicked_at: string;
  country: string;
  city: string;
  referrer_host: string;
  browser: string;
  os: string;
  device: string;
  is_bot: boolean;
  route: string;
};

export type FeedStatus = "connecting" | "live" | "reconnecting" | "stopped";

export type FeedHandlers = {
  onClick(click: FeedClick): void;
  /** Clicks after the last one seen left the feed while disconnected: the list may miss some. */
  onGap(): void;
  onStatus(status: FeedStatus, error?: ApiError): void;
};

/** The clicks kept on screen: newest first, at most this many. */
export const LIVE_CLICKS_SHOWN = 25;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

export function linkFeedUrl(ref: LinkRef): string {
  return linkApiUrl(ref, "/clicks/stream");
}

export const ACCOUNT_FEED_URL = "/api/v1/clicks/stream";

/** ``clicks`` with ``click`` in front, cut to ``LIVE_CLICKS_SHOWN``. */
export function withClick(clicks: readonly FeedClick[], click: FeedClick): FeedClick[] {
  return [click, ...clicks].slice(0, LIVE_CLICKS_SHOWN);
}

/** The wait before the next reconnect: doubling from a second to half a minute. */
export function retryDelay(attempt: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** attempt, MAX_RETRY_MS);
}

/** Whether reconnecting can help: not for a refusal the same request would get again. */
export function worthRetrying(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status === 0 || error.status === 503 || error.status >= 500;
}

/**
 * Follow the feed at ``url`` until ``signal`` aborts: each click to ``onClick``, reconnecting after a
 * dropped connection with the last event's id, so that no click is shown twice or missed while the
 * feed still holds it.
 */
export async function watchFeed(url: string, handlers: FeedHandlers, signal: AbortSignal, fetcher = authorizedFetch): Promise<void> {
  let lastEventId: string | null = null;
  let failures = 0;
  for (let first = true; !signal.aborted; first = false) {
    handlers.onStatus(first ? "connecting" : "reconnecting");
    try {
      const headers: HeadersInit = lastEventId ? { "Last-Event-ID": lastEventId } : {};
      const response = await fetcher(url, { headers, signal });
      handlers.onStatus("live");
      failures = 0;
      lastEventId = await readEvents(response, handlers, lastEventId);
    } catch (error) {
      if (signal.aborted) return;
      if (!worthRetrying(error)) {
        handlers.onStatus("stopped", error as ApiError);
        return;
      }
    }
    await pause(retryDelay(failures), signal);
    failures += 1;
  }
}

async function readEvents(response: Response, handlers: FeedHandlers, lastEventId: string | null): Promise<string | null> {
  if (!response.body) return lastEventId;
  // A reader, not for-await: Safari's streams are not async iterable.
  const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    const event = next.value;
    if (event.event === "click") {
      lastEventId = event.id ?? lastEventId;
      handlers.onClick(JSON.parse(event.data) as FeedClick);
    } else if (event.event === "gap") {
      handlers.onGap();
    }
  }
  return lastEventId;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
