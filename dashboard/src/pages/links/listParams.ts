/**
 * The links list's state in the URL (?q=&tag=&sort=&page=&limit=), so that reload, back and a
 * shared address show the same page; anything unreadable falls back to the default.
 */
import type { SortingState } from "@tanstack/react-table";
import type { operations } from "../../api/schema";

type ListQuery = NonNullable<operations["links_api_v1_links_get"]["parameters"]["query"]>;
export type SortKey = NonNullable<ListQuery["sort"]>;

// admin/links_list.py SortKey: every column both ways.
export const SORT_KEYS = [
  "-created_at",
  "created_at",
  "-updated_at",
  "updated_at",
  "code",
  "-code",
  "-click_count",
  "click_count",
] as const satisfies readonly SortKey[];
// Fails to compile when the API gains a sort key this list lacks.
const everySortKey: Record<Exclude<SortKey, (typeof SORT_KEYS)[number]>, never> = {};
void everySortKey;

export const SORT_LABELS: Record<SortKey, string> = {
  "-created_at": "Newest first",
  created_at: "Oldest first",
  "-updated_at": "Recently changed",
  updated_at: "Least recently changed",
  code: "Code A–Z",
  "-code": "Code Z–A",
  "-click_count": "Most clicks",
  click_count: "Fewest clicks",
};

export const DEFAULT_SORT: SortKey = "-created_at";
export const PAGE_SIZES = [25, 50, 100] as const;
export const DEFAULT_LIMIT = 50;
// The API's bounds (admin/routes/links.py): q up to 200 characters, a tag up to 64, page up to 100,000.
const MAX_Q = 200;
const MAX_TAG = 64;
const MAX_PAGE = 100_000;

export type ListParams = { q: string; tag: string; sort: SortKey; page: number; limit: number };

export const DEFAULT_PARAMS: ListParams = { q: "", tag: "", sort: DEFAULT_SORT, page: 1, limit: DEFAULT_LIMIT };

function isSortKey(value: string | null): value is SortKey {
  return (SORT_KEYS as readonly (string | null)[]).includes(value);
}

// NUL is the one character the API refuses in q and tag.
function cleanText(value: string | null, max: number): string {
  return (value ?? "").replaceAll("\0", "").trim().slice(0, max);
}

function readPage(value: string | null): number {
  if (!value || !/^\d{1,6}$/.test(value)) return 1;
  const page = Number(value);
  return page >= 1 && page <= MAX_PAGE ? page : 1;
}

function readLimit(value: string | null): number {
  const limit = Number(value);
  return (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_LIMIT;
}

export function readListParams(search: URLSearchParams): ListParams {
  const sort = search.get("sort");
  return {
    q: cleanText(search.get("q"), MAX_Q),
    tag: cleanText(search.get("tag"), MAX_TAG).toLowerCase(),
    sort: isSortKey(sort) ? sort : DEFAULT_SORT,
    page: readPage(search.get("page")),
    limit: readLimit(search.get("limit")),
  };
}

/** The search params for ``params``; defaults are left out so the usual address stays /links. */
export function writeListParams(params: ListParams): URLSearchParams {
  const search = new URLSearchParams();
  if (params.q) search.set("q", params.q);
  if (params.tag) search.set("tag", params.tag);
  if (params.sort !== DEFAULT_SORT) search.set("sort", params.sort);
  if (params.page !== 1) search.set("page", String(params.page));
  if (params.limit !== DEFAULT_LIMIT) search.set("limit", String(params.limit));
  return search;
}

/** A change of filter or order starts again at page 1: page 7 of the old result means nothing. */
export function withChange(params: ListParams, change: Partial<Omit<ListParams, "page">>): ListParams {
  return { ...params, ...change, page: 1 };
}

/** The query GET /api/v1/links takes for ``params``. */
export function apiQuery(params: ListParams): ListQuery {
  return {
    page: params.page,
    limit: params.limit,
    sort: params.sort,
    ...(params.q ? { q: params.q } : {}),
    ...(params.tag ? { tag: params.tag } : {}),
  };
}

export function isFiltered(params: ListParams): boolean {
  return params.q !== "" || params.tag !== "";
}

/** The table's sorting state for a sort key: "-click_count" is click_count, descending. */
export function sortingOf(sort: SortKey): SortingState {
  return [{ id: sort.replace(/^-/, ""), desc: sort.startsWith("-") }];
}

/** The sort key for a table's sorting state; ``fallback`` when the column is not one the API sorts on. */
export function sortKeyOf(sorting: SortingState, fallback: SortKey): SortKey {
  const first = sorting[0];
  if (!first) return fallback;
  const key = `${first.desc ? "-" : ""}${first.id}`;
  return isSortKey(key) ? key : fallback;
}

export function pageCount(total: number, limit: number): number {
  return Math.max(1, Math.ceil(total / limit));
}
