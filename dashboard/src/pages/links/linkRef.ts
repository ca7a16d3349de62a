/**
 * A link is named by its code and its short domain (null: the default one; docs/domains.md). The
 * dashboard's addresses carry the domain as `?domain=` (/links/abc?domain=go.example), as every API
 * call for the link does; a link on the default domain keeps the plain address (/links/abc).
 */

export type LinkRef = { code: string; domain: string | null };

/** The domain a page's search params name: null when absent or empty (the default domain). */
export function domainParam(search: URLSearchParams): string | null {
  const domain = search.get("domain")?.trim() ?? "";
  return domain === "" ? null : domain;
}

/** The `?domain=` of a link's addresses: "" on the default domain, else "?domain=…". */
export function domainSearch(domain: string | null): string {
  return domain === null ? "" : `?${new URLSearchParams({ domain }).toString()}`;
}

/** One key per link, unique across domains (the API's edge key): "abc", or "go.example/abc". */
export function linkKey({ code, domain }: LinkRef): string {
  return domain === null ? code : `${domain}/${code}`;
}

/** The link a key names (a code holds no "/", a domain no "/" either). */
export function refOfKey(key: string): LinkRef {
  const slash = key.lastIndexOf("/");
  return slash < 0 ? { code: key, domain: null } : { code: key.slice(slash + 1), domain: key.slice(0, slash) };
}

/** A page of the link in the dashboard: "/links/abc", "/links/abc/analytics?domain=go.example". */
export function linkPage(ref: LinkRef, page: "" | "/analytics" = "", extra?: URLSearchParams): string {
  const search = new URLSearchParams(extra);
  search.delete("domain");
  if (ref.domain !== null) search.set("domain", ref.domain);
  const query = search.toString();
  return `/links/${encodeURIComponent(ref.code)}${page}${query ? `?${query}` : ""}`;
}

/** An API address under /api/v1/links/{code}, with the link's domain: for what openapi-fetch does not parse (CSV, images, streams). */
export function linkApiUrl(ref: LinkRef, suffix: string, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query);
  if (ref.domain !== null) search.set("domain", ref.domain);
  const text = search.toString();
  return `/api/v1/links/${encodeURIComponent(ref.code)}${suffix}${text ? `?${text}` : ""}`;
}

/** The `domain` query parameter of the API's link routes: left out for the default domain. */
export function domainQuery(domain: string | null): { domain?: string } {
  return domain === null ? {} : { domain };
}

/** A link as people read it: "/abc" on the default domain, "go.example/abc" on another. */
export function linkLabel({ code, domain }: LinkRef): string {
  return domain === null ? `/${code}` : `${domain}/${code}`;
}
