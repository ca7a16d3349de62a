/**
 * The analytics area's data: TanStack Query hooks over the admin API, keys starting "analytics".
 *
 * Numbers stay live without a reload: every query refetches each 15 s while the tab is visible
 * (never in the background), and a preset's dates are worked out afresh at each fetch, so "last
 * 24 hours" moves on. The previous answer stays on screen while another range loads.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { type LinkRef, linkApiUrl, linkKey } from "../links/linkRef";
import { linkParams } from "../links/queries";
import { type RangeSelection, resolveRange } from "./range";

export type Analytics = components["schemas"]["Analytics"];
/** One link's analytics: an Analytics with the routes its clicks took. */
export type LinkAnalytics = components["schemas"]["LinkAnalytics"];
export type RouteCount = components["schemas"]["RouteCount"];
export type TopLink = components["schemas"]["TopLink"];
export type RecentClick = components["schemas"]["RecentClick"];
export type LinkPublic = components["schemas"]["LinkPublic"];

export const REFRESH_MS = 15_000;
/** Entries per breakdown asked for: more than the lists show at first, enough to colour the map. */
export const BREAKDOWN_TOP = 25;
export const TOP_LINKS = 10;
export const RECENT_CLICKS = 50;

const LIVE = { refetchInterval: REFRESH_MS, refetchIntervalInBackground: false } as const;

/** The part of a selection that changes what the API answers (not whether the interval was a default). */
function rangeKey(selection: RangeSelection, tz: string) {
  const { preset, from, to, interval, includeBots } = selection;
  return { preset, from: preset === "custom" ? from : "", to: preset === "custom" ? to : "", interval, includeBots, tz };
}

/** The query parameters for a range at this moment. */
export function rangeQuery(selection: RangeSelection, tz: string, now: Date = new Date()) {
  const { from, to } = resolveRange(selection, now, tz);
  return { from, ...(to ? { to } : {}), tz, include_bots: selection.includeBots };
}

export function useOverview(selection: RangeSelection, tz: string, enabled: boolean) {
  return useQuery({
    queryKey: ["analytics", "overview", rangeKey(selection, tz)],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/analytics/overview", {
          params: { query: { ...rangeQuery(selection, tz), interval: selection.interval, top: BREAKDOWN_TOP } },
        }),
      ),
    enabled,
    placeholderData: keepPreviousData,
    ...LIVE,
  });
}

export function useTopLinks(selection: RangeSelection, tz: string, enabled: boolean) {
  return useQuery({
    queryKey: ["analytics", "top-links", rangeKey(selection, tz)],
    queryFn: () => unwrap(api.GET("/api/v1/analytics/top-links", { params: { query: { ...rangeQuery(selection, tz), limit: TOP_LINKS } } })),
    enabled,
    placeholderData: keepPreviousData,
    ...LIVE,
  });
}

/** Keep the previous answer while another range loads, but never show one link's numbers under another's name. */
function sameLinkPlaceholder<T>(key: string) {
  return (previous: T | undefined, previousQuery: { queryKey: readonly unknown[] } | undefined) =>
    previousQuery?.queryKey[2] === key ? previous : undefined;
}

/** The API parameters of one link's route, with ``query`` beside its domain. */
function withQuery<Q extends object>(ref: LinkRef, query: Q) {
  const { params } = linkParams(ref);
  return { params: { path: params.path, query: { ...params.query, ...query } } };
}

export function useLinkAnalytics(ref: LinkRef, selection: RangeSelection, tz: string, enabled: boolean) {
  const key = linkKey(ref);
  return useQuery({
    queryKey: ["analytics", "link", key, rangeKey(selection, tz)],
    queryFn: () =>
      unwrap(api.GET("/api/v1/links/{code}/analytics", withQuery(ref, { ...rangeQuery(selection, tz), interval: selection.interval, top: BREAKDOWN_TOP }))),
    enabled,
    placeholderData: sameLinkPlaceholder<LinkAnalytics>(key),
    ...LIVE,
  });
}

export function useRecentClicks(ref: LinkRef, includeBots: boolean) {
  const key = linkKey(ref);
  return useQuery({
    queryKey: ["analytics", "recent-clicks", key, { includeBots }],
    queryFn: () => unwrap(api.GET("/api/v1/links/{code}/clicks", withQuery(ref, { limit: RECENT_CLICKS, include_bots: includeBots }))),
    placeholderData: sameLinkPlaceholder<RecentClick[]>(key),
    ...LIVE,
  });
}

/** The link itself, for the page header (title, short URL). */
export function useLinkHeader(ref: LinkRef) {
  return useQuery({
    queryKey: ["analytics", "link-header", linkKey(ref)],
    queryFn: () => unwrap(api.GET("/api/v1/links/{code}", linkParams(ref))),
    staleTime: 60_000,
  });
}

/** The clicks.csv address for a link and range (the API streams the raw clicks, bots included and flagged). */
export function clicksCsvUrl(ref: LinkRef, selection: RangeSelection, tz: string, now: Date = new Date()): string {
  const { from, to } = resolveRange(selection, now, tz);
  return linkApiUrl(ref, "/clicks.csv", { from, tz, ...(to ? { to } : {}) });
}
