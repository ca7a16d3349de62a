/** What the bulk actions of the links list say they did (POST /api/v1/links/actions answers one result per code). */
import { type LinkRef, linkKey, linkLabel } from "./linkRef";
import type { LinkAction, LinkActionsResult } from "./queries";

const DONE: Record<LinkAction, string> = {
  disable: "Disabled",
  enable: "Enabled",
  delete: "Deleted",
  tag: "Tagged",
  untag: "Untagged",
};

function links(count: number): string {
  return `${count.toLocaleString()} link${count === 1 ? "" : "s"}`;
}

/** "Disabled 4 links." or "Deleted 3 links; 1 failed." */
export function bulkSummary(action: LinkAction, result: Pick<LinkActionsResult, "succeeded" | "failed">): string {
  const done = `${DONE[action]} ${links(result.succeeded)}`;
  return result.failed === 0 ? `${done}.` : `${done}; ${result.failed.toLocaleString()} failed.`;
}

/** The selected links' codes by domain: POST /links/actions acts on the codes of one domain. */
export function byDomain(links: readonly LinkRef[]): Map<string | null, string[]> {
  const groups = new Map<string | null, string[]>();
  for (const { code, domain } of links) groups.set(domain, [...(groups.get(domain) ?? []), code]);
  return groups;
}

/** A link that failed: its label ("/abc", or "go.example/abc" on another domain) and why. */
export type BulkFailure = { link: string; message: string };

export function bulkFailures(result: LinkActionsResult): BulkFailure[] {
  return result.results
    .filter((item) => !item.ok)
    .map((item) => ({ link: linkLabel(item), message: item.error?.detail ?? item.error?.code ?? "failed" }));
}

/**
 * The links still selected after an action (by linkKey, as the table's rows): the failed ones, to
 * retry or look at; not those that no longer exist (deleted meanwhile), which no row on the page
 * could show as selected.
 */
export function stillSelected(result: LinkActionsResult): Record<string, true> {
  const retry = result.results.filter((item) => !item.ok && item.error?.code !== "link_not_found");
  return Object.fromEntries(retry.map((item) => [linkKey(item), true] as const));
}
