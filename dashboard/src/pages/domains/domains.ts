/**
 * Short domains (admin/domains.py, docs/domains.md): what the browser checks before sending, the
 * bodies of POST and PATCH /domains, and how a domain is named on screen. The API normalises a
 * host as browsers read it and has the last word.
 */
import { z } from "zod";
import type { components } from "../../api/schema";

export type Domain = components["schemas"]["DomainPublic"];
export type DomainCreateBody = components["schemas"]["DomainCreate"];
export type DomainUpdateBody = components["schemas"]["DomainUpdate"];

// admin/domains.py MAX_HOST_INPUT; admin/targets.py MAX_TARGET_LENGTH.
export const MAX_HOST_LENGTH = 300;
export const MAX_REDIRECT_LENGTH = 2048;

export type DomainValues = { host: string; base_redirect: string; not_found_redirect: string };
export type RedirectValues = Omit<DomainValues, "host">;
export const DOMAIN_FIELDS = ["host", "base_redirect", "not_found_redirect"] as const satisfies readonly (keyof DomainValues)[];
export const REDIRECT_FIELDS = ["base_redirect", "not_found_redirect"] as const satisfies readonly (keyof RedirectValues)[];
export const EMPTY_DOMAIN: DomainValues = { host: "", base_redirect: "", not_found_redirect: "" };

/** What is wrong with a typed domain that the browser can see, or null. */
export function hostProblem(value: string): string | null {
  const host = value.trim();
  if (!host) return "Enter a domain, such as go.example.";
  if (host.length > MAX_HOST_LENGTH) return `Use at most ${MAX_HOST_LENGTH} characters.`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return "Enter the domain alone, without http:// or https://.";
  if (/[/\\?#@\s]/.test(host)) return "Enter only the domain name (with a :port if visitors use one): no path, user name or query.";
  return null;
}

/** What is wrong with a redirect URL (empty: none, a 404), or null. */
export function redirectProblem(value: string): string | null {
  const url = value.trim();
  if (!url) return null;
  if (url.length > MAX_REDIRECT_LENGTH) return `The URL is longer than ${MAX_REDIRECT_LENGTH.toLocaleString()} characters.`;
  if (!/^https?:\/\//i.test(url)) return "Enter a full URL starting with http:// or https://, or leave empty for a 404.";
  try {
    new URL(url);
  } catch {
    return "This is not a valid URL.";
  }
  return null;
}

function check(problem: (value: string) => string | null) {
  return z.string().superRefine((value, context) => {
    const message = problem(value);
    if (message) context.addIssue({ code: "custom", message });
  });
}

const redirectSchema = z.object({ base_redirect: check(redirectProblem), not_found_redirect: check(redirectProblem) });
/** A new domain. */
export const domainSchema = redirectSchema.extend({ host: check(hostProblem) });
/** A domain's redirects (its host is not changed, nor checked again). */
export const editSchema = redirectSchema.extend({ host: z.string() });

/** The POST /domains body: redirects left empty are left out. */
export function createBody(values: DomainValues): DomainCreateBody {
  const body: DomainCreateBody = { host: values.host.trim() };
  const base = values.base_redirect.trim();
  const notFound = values.not_found_redirect.trim();
  if (base) body.base_redirect = base;
  if (notFound) body.not_found_redirect = notFound;
  return body;
}

/** The form's values for a domain's redirects ("" : none). */
export function redirectValues(domain: Domain): RedirectValues {
  return { base_redirect: domain.base_redirect ?? "", not_found_redirect: domain.not_found_redirect ?? "" };
}

/** The PATCH /domains/{host} body: only the redirects that changed; an emptied one is null (cleared). */
export function updateBody(values: RedirectValues, domain: Domain): DomainUpdateBody {
  const before = redirectValues(domain);
  const body: DomainUpdateBody = {};
  for (const field of REDIRECT_FIELDS) {
    const value = values[field].trim();
    if (value !== before[field]) body[field] = value || null;
  }
  return body;
}

/** Whether links may live on more than one domain: only then do pickers and domain columns show. */
export function severalDomains(domains: readonly Domain[] | undefined): boolean {
  return (domains?.length ?? 0) > 1;
}

/** The default domain's host (the API lists it first). */
export function defaultHost(domains: readonly Domain[] | undefined): string | null {
  return domains?.find((domain) => domain.is_default)?.host ?? null;
}

/** The host a link or a visit is on: its domain, or the default one's for null. */
export function hostOf(domain: string | null, domains: readonly Domain[] | undefined): string {
  return domain ?? defaultHost(domains) ?? "default domain";
}
