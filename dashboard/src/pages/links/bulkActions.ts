/** What the bulk actions of the links list say they did (POST /api/v1/links/actions answers one result per code). */
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

export type BulkFailure = { code: string; message: string };

export function bulkFailures(result: LinkActionsResult): BulkFailure[] {
  return result.results
    .filter((item) => !item.ok)
    .map((item) => ({ code: item.code, message: item.error?.detail ?? item.error?.code ?? "failed" }));
}

/**
 * The codes still selected after an action: the failed ones, to retry or look at; not those that
 * no longer exist (deleted meanwhile), which no row on the page could show as selected.
 */
export function stillSelected(result: LinkActionsResult): Record<string, true> {
  const retry = result.results.filter((item) => !item.ok && item.error?.code !== "link_not_found");
  return Object.fromEntries(retry.map((item) => [item.code, true] as const));
}
