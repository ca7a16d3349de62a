/**
 * Whether a link redirects, and if not why: the same rules the edge applies (common/linkstore.py):
 * a disabled link, a link past its expiry, and a link whose clicks reached max_clicks (bots
 * included) all answer 404. More than one reason can hold at once.
 */
import type { components } from "../../api/schema";

type Link = components["schemas"]["LinkPublic"];
export type LinkStatus = "active" | "disabled" | "expired" | "limit_reached";

export const STATUS_LABELS: Record<LinkStatus, string> = {
  active: "Active",
  disabled: "Disabled",
  expired: "Expired",
  limit_reached: "Limit reached",
};

export function isExpired(link: Pick<Link, "expires_at">, now: number): boolean {
  return link.expires_at !== null && new Date(link.expires_at).getTime() <= now;
}

export function isLimitReached(link: Pick<Link, "max_clicks" | "click_count">): boolean {
  return link.max_clicks !== null && link.click_count >= link.max_clicks;
}

/** Every reason the link does not redirect, or ["active"] when it does. */
export function linkStatuses(link: Pick<Link, "disabled" | "expires_at" | "max_clicks" | "click_count">, now: number = Date.now()): LinkStatus[] {
  const statuses: LinkStatus[] = [];
  if (link.disabled) statuses.push("disabled");
  if (isExpired(link, now)) statuses.push("expired");
  if (isLimitReached(link)) statuses.push("limit_reached");
  return statuses.length > 0 ? statuses : ["active"];
}
