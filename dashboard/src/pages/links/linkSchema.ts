/**
 * The link form: its values (strings, as inputs hold them), what the browser can check before
 * sending (admin/links.py LinkCreate/LinkUpdate and admin/targets.py are the truth), and the
 * bodies of POST /links (create) and PATCH /links/{code} (only what changed).
 */
import { z } from "zod";
import type { components } from "../../api/schema";
import { fromLocalInput, toLocalInput } from "../../lib/format";
import { type RuleForm, type VariantForm, ruleProblems, rulesBody, rulesToForm, sameRouting, variantProblems, variantsBody, variantsToForm } from "./routing";
import { CONTROL_CHARACTERS, MAX_TAGS, sameTags, tagProblem } from "./tags";
import { MAX_UTM_LENGTH, UTM_FIELDS } from "./utm";

type Link = components["schemas"]["LinkPublic"];
export type LinkCreateBody = components["schemas"]["LinkCreate"];
export type LinkUpdateBody = components["schemas"]["LinkUpdate"];

// admin/links.py CODE_PATTERN and RESERVED_CODES.
export const CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const RESERVED_CODES: ReadonlySet<string> = new Set([
  "api",
  "admin",
  "docs",
  "redoc",
  "openapi.json",
  "healthz",
  "readyz",
  "metrics",
  "robots.txt",
  "favicon.ico",
  "login",
  "logout",
  "static",
  "assets",
  "well-known",
  ".well-known",
]);
// admin/targets.py MAX_TARGET_LENGTH (of the normalised URL; the raw one rarely differs much).
export const MAX_TARGET_LENGTH = 2048;
export const MAX_TITLE_LENGTH = 500;
// common/link_passwords.py MIN_LINK_PASSWORD_LENGTH and MAX_LINK_PASSWORD_LENGTH.
export const MIN_PASSWORD_LENGTH = 4;
export const MAX_PASSWORD_LENGTH = 256;
// admin/link_metadata.py MAX_PREVIEW_TITLE and MAX_PREVIEW_DESCRIPTION.
export const MAX_PREVIEW_TITLE = 200;
export const MAX_PREVIEW_DESCRIPTION = 500;

export const REDIRECT_STATUSES = [
  { value: "302", label: "302 Found", hint: "Temporary (the default): search engines keep showing the short URL." },
  { value: "301", label: "301 Moved Permanently", hint: "Permanent: search engines index the target instead of the short URL." },
  { value: "307", label: "307 Temporary Redirect", hint: "Like 302, but the browser resends the same method and body (forms, APIs)." },
  { value: "308", label: "308 Permanent Redirect", hint: "Like 301, but the browser resends the same method and body (forms, APIs)." },
] as const;
export type RedirectStatusValue = (typeof REDIRECT_STATUSES)[number]["value"];

export type LinkFormValues = {
  target_url: string;
  code: string;
  /** The short domain ("": the default one); chosen on create only, a link never moves. */
  domain: string;
  redirect_status: RedirectStatusValue;
  expires_at: string;
  max_clicks: string;
  forward_query: boolean;
  title: string;
  tags: string[];
  /** A new password ("": none on create, the current one kept on edit); write-only, never read back. */
  password: string;
  /** Edit only: remove the link's password (PATCH password null). */
  remove_password: boolean;
  /** The API's utm object, one input each ("": not set). */
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_term: string;
  utm_content: string;
  /** The API's preview object ("": not set). */
  preview_title: string;
  preview_description: string;
  preview_image: string;
  /** The API's rules and variants, as the routing editor holds them ([]: none). */
  rules: RuleForm[];
  variants: VariantForm[];
};
export type LinkField = keyof LinkFormValues;
export type UtmFormField = `utm_${(typeof UTM_FIELDS)[number]}`;
export const UTM_FORM_FIELDS = UTM_FIELDS.map((field) => `utm_${field}` as const);
export const PREVIEW_FIELDS = ["title", "description", "image"] as const;
export type PreviewFormField = `preview_${(typeof PREVIEW_FIELDS)[number]}`;
export const PREVIEW_FORM_FIELDS = PREVIEW_FIELDS.map((field) => `preview_${field}` as const);
// The fields an API error can name (remove_password is the form's own); an error about utm.source is placed under utm_source.
export const LINK_FIELDS: readonly LinkField[] = [
  "target_url",
  "code",
  "domain",
  "redirect_status",
  "expires_at",
  "max_clicks",
  "forward_query",
  "title",
  "tags",
  "password",
  ...UTM_FORM_FIELDS,
  ...PREVIEW_FORM_FIELDS,
];

export const EMPTY_LINK: LinkFormValues = {
  target_url: "",
  code: "",
  domain: "",
  redirect_status: "302",
  expires_at: "",
  max_clicks: "",
  forward_query: false,
  title: "",
  tags: [],
  password: "",
  remove_password: false,
  utm_source: "",
  utm_medium: "",
  utm_campaign: "",
  utm_term: "",
  utm_content: "",
  preview_title: "",
  preview_description: "",
  preview_image: "",
  rules: [],
  variants: [],
};

/** The problem with a target URL the browser can see, or null: the API checks the rest (blocked domains, loops). */
export function targetProblem(value: string): string | null {
  const url = value.trim();
  if (!url) return "Enter the URL the short link leads to.";
  if (url.length > MAX_TARGET_LENGTH) return `The URL is longer than ${MAX_TARGET_LENGTH.toLocaleString()} characters.`;
  if (!/^https?:\/\//i.test(url)) return "Enter a full URL starting with http:// or https://.";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "This is not a valid URL.";
  }
  if (!parsed.hostname) return "The URL needs a host name (such as example.com).";
  if (parsed.username || parsed.password) return "URLs with a user name or password are refused.";
  return null;
}

export function codeProblem(value: string): string | null {
  const code = value.trim();
  if (!code) return null;
  if (!CODE_PATTERN.test(code)) return "Use 1 to 64 letters, digits, hyphens (-) or underscores (_).";
  if (RESERVED_CODES.has(code.toLowerCase())) return `“${code}” is reserved; choose another code.`;
  return null;
}

function maxClicksProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return null;
  if (!/^\d+$/.test(text) || Number(text) < 1) return "Enter a whole number of clicks, 1 or more (or leave empty for no limit).";
  if (Number(text) > Number.MAX_SAFE_INTEGER) return `Enter at most ${Number.MAX_SAFE_INTEGER.toLocaleString()}.`;
  return null;
}

function expiryProblem(value: string, original: string, now: Date): string | null {
  if (!value) return null;
  const iso = fromLocalInput(value);
  if (iso === null) return "Enter a date and time.";
  // An expiry the link already had may lie in the past; only a new one must be in the future.
  if (value !== original && new Date(iso) <= now) return "Choose a moment in the future, or leave empty for no expiry.";
  return null;
}

function titleProblem(value: string): string | null {
  if (value.trim().length > MAX_TITLE_LENGTH) return `The title is longer than ${MAX_TITLE_LENGTH} characters.`;
  if (CONTROL_CHARACTERS.test(value)) return "The title cannot contain line breaks or control characters.";
  return null;
}

/** Spaces count: a password is used exactly as typed. Lengths are in characters, as Python counts them. */
export function passwordProblem(value: string): string | null {
  const length = [...value].length;
  if (length === 0) return null;
  if (length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters (or leave empty for an open link).`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  return null;
}

/** A textarea's text as sent: the API takes no line breaks in a preview, so they become spaces. */
export function oneLine(value: string): string {
  return value.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** Too long (in characters, as Python counts them, once trimmed) or holding control characters. */
function plainTextProblem(value: string, max: number): string | null {
  const text = value.trim();
  if ([...text].length > max) return `Use at most ${max} characters.`;
  if (CONTROL_CHARACTERS.test(text)) return "Line breaks and control characters are not allowed.";
  return null;
}

/** Whether ``value`` is an absolute http(s) URL: the only kind of image the form's preview card loads. */
export function isHttpUrl(value: string): boolean {
  const url = value.trim();
  if (!/^https?:\/\//i.test(url)) return false;
  try {
    return ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** The problem with a preview image URL the browser can see, or null (empty: no image). */
export function previewImageProblem(value: string): string | null {
  const url = value.trim();
  if (!url) return null;
  if (url.length > MAX_TARGET_LENGTH) return `The URL is longer than ${MAX_TARGET_LENGTH.toLocaleString()} characters.`;
  if (!isHttpUrl(url)) return "Enter a full image URL starting with http:// or https://.";
  return null;
}

function tagsProblem(tags: string[]): string | null {
  if (tags.length > MAX_TAGS) return `A link has at most ${MAX_TAGS} tags.`;
  for (const tag of tags) {
    const problem = tagProblem(tag);
    if (problem) return problem;
  }
  return null;
}

const RULE = z.object({
  name: z.string(),
  target: z.string(),
  conditions: z.object({
    devices: z.array(z.enum(["desktop", "mobile", "tablet", "bot", "other"])),
    os: z.array(z.string()),
    browsers: z.array(z.string()),
    countries: z.array(z.string()),
    languages: z.array(z.string()),
    starts_at: z.string(),
    ends_at: z.string(),
  }),
});
const VARIANT = z.object({ name: z.string(), target: z.string(), weight: z.string() });

type SchemaOptions = {
  /** The expiry the link has now, as a datetime-local value ("" for a new link or none). */
  originalExpiry?: string;
  now?: () => Date;
};

function check(problem: (value: string) => string | null) {
  return z.string().superRefine((value, context) => {
    const message = problem(value);
    if (message) context.addIssue({ code: "custom", message });
  });
}

/** What the browser checks before sending; the API's answer is still the last word. */
export function linkFormSchema({ originalExpiry = "", now = () => new Date() }: SchemaOptions = {}) {
  return z.object({
    target_url: check(targetProblem),
    code: check(codeProblem),
    domain: z.string(),
    redirect_status: z.enum(["301", "302", "307", "308"], { message: "Choose a redirect type." }),
    expires_at: check((value) => expiryProblem(value, originalExpiry, now())),
    max_clicks: check(maxClicksProblem),
    forward_query: z.boolean(),
    title: check(titleProblem),
    tags: z.array(z.string()).superRefine((tags, context) => {
      const message = tagsProblem(tags);
      if (message) context.addIssue({ code: "custom", message });
    }),
    password: check(passwordProblem),
    remove_password: z.boolean(),
    utm_source: check((value) => plainTextProblem(value, MAX_UTM_LENGTH)),
    utm_medium: check((value) => plainTextProblem(value, MAX_UTM_LENGTH)),
    utm_campaign: check((value) => plainTextProblem(value, MAX_UTM_LENGTH)),
    utm_term: check((value) => plainTextProblem(value, MAX_UTM_LENGTH)),
    utm_content: check((value) => plainTextProblem(value, MAX_UTM_LENGTH)),
    preview_title: check((value) => plainTextProblem(value, MAX_PREVIEW_TITLE)),
    preview_description: check((value) => plainTextProblem(oneLine(value), MAX_PREVIEW_DESCRIPTION)),
    preview_image: check(previewImageProblem),
    rules: z.array(RULE).superRefine((rules, context) => {
      for (const { path, message } of ruleProblems(rules)) context.addIssue({ code: "custom", message, path });
    }),
    variants: z.array(VARIANT).superRefine((variants, context) => {
      for (const { path, message } of variantProblems(variants)) context.addIssue({ code: "custom", message, path });
    }),
  });
}

export function valuesFromLink(link: Link): LinkFormValues {
  const status = String(link.redirect_status);
  return {
    target_url: link.target_url,
    code: link.code,
    domain: link.domain ?? "",
    redirect_status: REDIRECT_STATUSES.find((option) => option.value === status)?.value ?? "302",
    expires_at: toLocalInput(link.expires_at),
    max_clicks: link.max_clicks === null ? "" : String(link.max_clicks),
    forward_query: link.forward_query,
    title: link.title ?? "",
    tags: [...link.tags],
    password: "",
    remove_password: false,
    utm_source: link.utm.source ?? "",
    utm_medium: link.utm.medium ?? "",
    utm_campaign: link.utm.campaign ?? "",
    utm_term: link.utm.term ?? "",
    utm_content: link.utm.content ?? "",
    preview_title: link.preview?.title ?? "",
    preview_description: link.preview?.description ?? "",
    preview_image: link.preview?.image ?? "",
    rules: rulesToForm(link.rules),
    variants: variantsToForm(link.variants),
  };
}

type Utm = components["schemas"]["Utm"];
type Preview = components["schemas"]["LinkPreview"];

/** The API's utm object from the form's inputs; null when none is set. */
export function utmOf(values: LinkFormValues): Utm | null {
  const set = UTM_FIELDS.map((field) => [field, values[`utm_${field}`].trim()] as const).filter(([, value]) => value);
  return set.length > 0 ? Object.fromEntries(set) : null;
}

/** The API's preview object from the form's inputs; null when none is set. */
export function previewOf(values: LinkFormValues): Preview | null {
  const set = PREVIEW_FIELDS.map((field) => [field, oneLine(values[`preview_${field}`])] as const).filter(([, value]) => value);
  return set.length > 0 ? Object.fromEntries(set) : null;
}

function sameFields(values: LinkFormValues, before: LinkFormValues, fields: readonly LinkField[]): boolean {
  return fields.every((field) => String(values[field]).trim() === String(before[field]).trim());
}

function redirectStatus(value: RedirectStatusValue): LinkCreateBody["redirect_status"] {
  return Number(value) as LinkCreateBody["redirect_status"];
}

/** The POST /links body: empty optional fields are left out (a random code, no expiry, no limit). */
export function createBody(values: LinkFormValues): LinkCreateBody {
  const body: LinkCreateBody = {
    target_url: values.target_url.trim(),
    redirect_status: redirectStatus(values.redirect_status),
    forward_query: values.forward_query,
    tags: values.tags,
  };
  const code = values.code.trim();
  const expiresAt = fromLocalInput(values.expires_at);
  const title = values.title.trim();
  if (code) body.code = code;
  if (values.domain) body.domain = values.domain;
  if (expiresAt) body.expires_at = expiresAt;
  if (values.max_clicks.trim()) body.max_clicks = Number(values.max_clicks.trim());
  if (title) body.title = title;
  if (values.password) body.password = values.password;
  const utm = utmOf(values);
  const preview = previewOf(values);
  if (utm) body.utm = utm;
  if (preview) body.preview = preview;
  const rules = rulesBody(values.rules);
  const variants = variantsBody(values.variants);
  if (rules) body.rules = rules;
  if (variants) body.variants = variants;
  return body;
}

/**
 * The PATCH /links/{code} body: only the fields that differ from ``link``, so that saving a title
 * does not resend an expiry that has meanwhile passed. Emptied expiry, limit and title become null;
 * so does a password being removed. An empty password field keeps the password as it is. The UTM
 * fields and the preview are sent as a whole group when any of their fields changed.
 */
export function updateBody(values: LinkFormValues, link: Link): LinkUpdateBody {
  const before = valuesFromLink(link);
  const body: LinkUpdateBody = {};
  const target = values.target_url.trim();
  if (target !== before.target_url) body.target_url = target;
  if (values.redirect_status !== before.redirect_status) body.redirect_status = redirectStatus(values.redirect_status);
  if (values.expires_at !== before.expires_at) body.expires_at = fromLocalInput(values.expires_at);
  const maxClicks = values.max_clicks.trim();
  if (maxClicks !== before.max_clicks) body.max_clicks = maxClicks ? Number(maxClicks) : null;
  if (values.forward_query !== before.forward_query) body.forward_query = values.forward_query;
  const title = values.title.trim();
  if (title !== before.title) body.title = title || null;
  if (!sameTags(values.tags, before.tags)) body.tags = values.tags;
  if (values.remove_password && link.has_password) body.password = null;
  else if (values.password) body.password = values.password;
  // The API replaces a group whole: any change sends all of its fields (none set: null clears it).
  if (!sameFields(values, before, UTM_FORM_FIELDS)) body.utm = utmOf(values);
  if (!sameFields(values, before, PREVIEW_FORM_FIELDS)) body.preview = previewOf(values);
  // A list replaces all of the link's rules (or its whole split); none left: null removes them.
  const rules = rulesBody(values.rules);
  const variants = variantsBody(values.variants);
  if (!sameRouting(rules, rulesBody(before.rules))) body.rules = rules;
  if (!sameRouting(variants, variantsBody(before.variants))) body.variants = variants;
  return body;
}
