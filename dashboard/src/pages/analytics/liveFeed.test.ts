// @vitest-environment node
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { type FeedClick, type FeedStatus, LIVE_CLICKS_SHOWN, retryDelay, watchFeed, withClick, worthRetrying } from "./liveFeed";

const click = (code: string): FeedClick => ({
  code,
  clicked_at: "2026-11-30T12:00:00Z",
  country: "DE",
  city: "",
  referrer_host: "",
  browser: "Firefox",
  os: "Linux",
  device: "desktop",
  is_bot: false,
  route: "",
});

const stream = (text: string) => new Response(new Blob([text]).stream(), { headers: { "content-type": "text/event-stream" } });

describe("withClick", () => {
  it("puts the newest first and keeps a bounded list", () => {
    let shown: FeedClick[] = [];
    for (let n = 0; n < LIVE_CLICKS_SHOWN + 5; n += 1) shown = withClick(shown, click(`c${n}`));
    expect(shown).toHaveLength(LIVE_CLICKS_SHOWN);
    expect(shown[0]?.code).toBe(`c${LIVE_CLICKS_SHOWN + 4}`);
  });
});

describe("reconnecting", () => {
  it("backs off from a second to half a minute", () => {
    expect([0, 1, 2, 10].map(retryDelay)).toEqual([1_000, 2_000, 4_000, 30_000]);
  });

  it("gives up on refusals that would repeat, not on outages", () => {
    expect(worthRetrying(new ApiError(429, null, "too many"))).toBe(false);
    expect(worthRetrying(new ApiError(404, null, "gone"))).toBe(false);
    expect(worthRetrying(new ApiError(503, null, "full"))).toBe(true);
    expect(worthRetrying(new TypeError("network"))).toBe(true);
  });
});

describe("watchFeed", () => {
  it("hands over clicks and gaps, and resumes after the last event it saw", async () => {
    const controller = new AbortController();
    const sent: (string | null)[] = [];
    const answers = [
      stream(`retry: 3000\n: watching\n\nid: 1-0:0\nevent: click\ndata: ${JSON.stringify(click("a"))}\n\n: heartbeat\n\n`),
      stream(`event: gap\ndata: {}\n\nid: 2-0:0\nevent: click\ndata: ${JSON.stringify(click("b"))}\n\n`),
    ];
    const seen: string[] = [];
    const statuses: FeedStatus[] = [];
    const fetcher = async (_url: string, init: RequestInit = {}) => {
      sent.push(new Headers(init.headers).get("Last-Event-ID"));
      const answer = answers.shift();
      if (!answer) {
        controller.abort();
        throw new DOMException("aborted", "AbortError");
      }
      return answer;
    };
    const watching = watchFeed(
      "/feed",
      { onClick: (found) => seen.push(found.code), onGap: () => seen.push("gap"), onStatus: (status) => statuses.push(status) },
      controller.signal,
      fetcher,
    );
    await watching;
    expect(seen).toEqual(["a", "gap", "b"]);
    expect(sent).toEqual([null, "1-0:0", "2-0:0"]);
    expect(statuses.slice(0, 4)).toEqual(["connecting", "live", "reconnecting", "live"]);
  }, 10_000);
});
