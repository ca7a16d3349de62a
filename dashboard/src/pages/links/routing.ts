/**
 * Targeting rules and the A/B split in the link form: the form's values (strings and lists, as the
 * inputs hold them), what the browser can check before sending (admin/link_routing.py is the truth),
 * the API's `rules` and `variants` made from them and back, and how routes and splits read.
 */
import type { components } from "../../api/schema";
import { ApiError } from "../../api/problem";
import { formatDateTime, fromLocalInput, toLocalInput } from "../../lib/format";
import { targetProblem } from "./linkSchema";

export type TargetingRule = components["schemas"]["TargetingRule"];
export type RuleConditions = components["schemas"]["RuleConditions"];
export type Variant = components["schemas"]["Variant"];
export type Device = NonNullable<RuleConditions["devices"]>[number];

// admin/link_routing.py: MAX_RULES, MAX_VARIANTS, MAX_NAME, MAX_WEIGHT, MAX_AGENT_NAMES, MAX_AGENT_NAME, MAX_COUNTRIES, MAX_LANGUAGES.
export const MAX_RULES = 25;
export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 10;
export const MAX_NAME = 40;
export const MAX_WEIGHT = 1000;
export const MAX_AGENT_NAMES = 20;
export const MAX_AGENT_NAME = 40;
export const MAX_COUNTRIES = 250;
export const MAX_LANGUAGES = 20;
export const COUNTRY_PATTERN = /^[A-Z]{2}$/;
export const LANGUAGE_PATTERN = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;

export const DEVICES: readonly { value: Device; label: string }[] = [
  { value: "desktop", label: "Desktop" },
  { value: "mobile", label: "Mobile" },
  { value: "tablet", label: "Tablet" },
  { value: "bot", label: "Bot" },
  { value: "other", label: "Other" },
];
// Names the edge knows (common/useragents.py compares them without regard to case or spaces); others may be typed.
export const OS_SUGGESTIONS = ["iOS", "Android", "Windows", "macOS", "Linux", "ChromeOS"] as const;
export const BROWSER_SUGGESTIONS = ["Chrome", "Safari", "Firefox", "Edge", "Samsung Internet", "Opera"] as const;

export type ConditionsForm = {
  devices: Device[];
  os: string[];
  browsers: string[];
  /** Upper case, as stored. */
  countries: string[];
  /** Lower case, as stored. */
  languages: string[];
  /** datetime-local values in the viewer's zone ("": not set). */
  starts_at: string;
  ends_at: string;
};
export type RuleForm = { name: string; target: string; conditions: ConditionsForm };
export type VariantForm = { name: string; target: string; weight: string };

export function newRule(): RuleForm {
  return { name: "", target: "", conditions: { devices: [], os: [], browsers: [], countries: [], languages: [], starts_at: "", ends_at: "" } };
}

export function newVariant(weight = "50"): VariantForm {
  return { name: "", target: "", weight };
}

/** The names the API gives unnamed rules and variants by position (it skips one another item has). */
export function defaultRuleName(index: number): string {
  return `Rule ${index + 1}`;
}

export function defaultVariantName(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : `V${index + 1}`;
}

/** What a name field shows, or its placeholder when empty. */
export function shownName(name: string, fallback: string): string {
  return name.trim() || fallback;
}

// --- the API's values and back

export function rulesToForm(rules: readonly TargetingRule[] | null | undefined): RuleForm[] {
  return (rules ?? []).map((rule) => ({
    name: rule.name ?? "",
    target: rule.target,
    conditions: {
      devices: [...(rule.conditions.devices ?? [])],
      os: [...(rule.conditions.os ?? [])],
      browsers: [...(rule.conditions.browsers ?? [])],
      countries: [...(rule.conditions.countries ?? [])],
      languages: [...(rule.conditions.languages ?? [])],
      starts_at: toLocalInput(rule.conditions.starts_at),
      ends_at: toLocalInput(rule.conditions.ends_at),
    },
  }));
}

export function variantsToForm(variants: readonly Variant[] | null | undefined): VariantForm[] {
  return (variants ?? []).map((variant) => ({ name: variant.name ?? "", target: variant.target, weight: String(variant.weight) }));
}

function conditionsBody(form: ConditionsForm): RuleConditions {
  const body: RuleConditions = {};
  if (form.devices.length > 0) body.devices = [...form.devices];
  if (form.os.length > 0) body.os = [...form.os];
  if (form.browsers.length > 0) body.browsers = [...form.browsers];
  if (form.countries.length > 0) body.countries = [...form.countries];
  if (form.languages.length > 0) body.languages = [...form.languages];
  const startsAt = fromLocalInput(form.starts_at);
  const endsAt = fromLocalInput(form.ends_at);
  if (startsAt) body.starts_at = startsAt;
  if (endsAt) body.ends_at = endsAt;
  return body;
}

/** The API's `rules` from the form: null for none (a blank name is left out, for the API to fill in). */
export function rulesBody(rules: readonly RuleForm[]): TargetingRule[] | null {
  if (rules.length === 0) return null;
  return rules.map((rule) => {
    const body: TargetingRule = { target: rule.target.trim(), conditions: conditionsBody(rule.conditions) };
    if (rule.name.trim()) body.name = rule.name.trim();
    return body;
  });
}

/** The API's `variants` from the form: null for no split. */
export function variantsBody(variants: readonly VariantForm[]): Variant[] | null {
  if (variants.length === 0) return null;
  return variants.map((variant) => {
    const body: Variant = { target: variant.target.trim(), weight: Number(variant.weight.trim()) };
    if (variant.name.trim()) body.name = variant.name.trim();
    return body;
  });
}

/** Whether two forms send the same rules or variants (what a PATCH needs to know). */
export function sameRouting<T>(a: T, b: T): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// --- the split

/** A weight as a number, or null when it is not a whole number from 1 to MAX_WEIGHT. */
export function weightOf(text: string): number | null {
  const value = text.trim();
  if (!/^\d+$/.test(value)) return null;
  const weight = Number(value);
  return weight >= 1 && weight <= MAX_WEIGHT ? weight : null;
}

/**
 * Each variant's share of the visitors, as percentages rounded to whole numbers that add up to 100
 * (largest remainder); null for each while any weight is invalid.
 */
export function variantPercentages(weights: readonly string[]): (number | null)[] {
  const values = weights.map(weightOf);
  if (values.length === 0 || values.some((value) => value === null)) return values.map(() => null);
  const numbers = values as number[];
  const total = numbers.reduce((sum, value) => sum + value, 0);
  const exact = numbers.map((value) => (value * 100) / total);
  const shares = exact.map(Math.floor);
  const order = exact.map((value, index) => ({ index, rest: value - Math.floor(value) })).sort((a, b) => b.rest - a.rest || a.index - b.index);
  for (let left = 100 - shares.reduce((sum, value) => sum + value, 0), i = 0; left > 0; left -= 1, i += 1) {
    const index = order[i % order.length]?.index ?? 0;
    shares[index] = (shares[index] ?? 0) + 1;
  }
  return shares;
}

/** "70/30", "34/33/33": the split's percentages (from the API's weights). */
export function splitLabel(variants: readonly Pick<Variant, "weight">[]): string {
  return variantPercentages(variants.map((variant) => String(variant.weight)))
    .map((share) => share ?? "?")
    .join("/");
}

export function rulesLabel(count: number): string {
  return count === 1 ? "1 rule" : `${count} rules`;
}

/**
 * A rule's conditions in words, one part per condition: ["Mobile or tablet", "iOS or Android", "DE or AT",
 * "From 1 Dec 2026, 00:00"]; ``formatTime`` shows an instant (the viewer's locale and zone by default).
 */
export function describeConditions(conditions: RuleConditions, formatTime: (iso: string) => string = formatDateTime): string[] {
  const any = (values: readonly string[] | null | undefined) => (values && values.length > 0 ? values.join(" or ") : null);
  const devices = conditions.devices?.map((device) => DEVICES.find((known) => known.value === device)?.label ?? device);
  const parts = [any(devices), any(conditions.os), any(conditions.browsers), any(conditions.countries), any(conditions.languages)];
  const { starts_at: startsAt, ends_at: endsAt } = conditions;
  if (startsAt && endsAt) parts.push(`${formatTime(startsAt)} to ${formatTime(endsAt)}`);
  else if (startsAt) parts.push(`From ${formatTime(startsAt)}`);
  else if (endsAt) parts.push(`Until ${formatTime(endsAt)}`);
  return parts.filter((part): part is string => part !== null);
}

// --- routes in the analytics

/** How a route of the analytics reads: "" is the link's own target, "rule:X" a rule, "variant:B" a variant. */
export function routeLabel(route: string | null | undefined): string {
  if (!route) return "Default target";
  if (route.startsWith("rule:")) return `Rule: ${route.slice("rule:".length)}`;
  if (route.startsWith("variant:")) return `Variant ${route.slice("variant:".length)}`;
  return route;
}

/** Whether a link's analytics have routes to show: it is routed now, or some clicks in the range took a route. */
export function hasRoutes(routes: readonly { value: string }[] | undefined, routed: boolean): boolean {
  return routed || (routes ?? []).some((route) => route.value !== "");
}

// --- what the browser checks before sending

export type RoutingProblem = { path: (string | number)[]; message: string };

// Control characters, line breaks and invisible format characters: the API wants printable names.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

function nameProblem(name: string): string | null {
  const text = name.trim();
  if ([...text].length > MAX_NAME) return `Use at most ${MAX_NAME} characters.`;
  if (UNPRINTABLE.test(text)) return "Line breaks and control characters are not allowed.";
  return null;
}

function duplicateNames(names: readonly string[], kind: string): RoutingProblem[] {
  const seen = new Map<string, number>();
  const problems: RoutingProblem[] = [];
  names.forEach((name, index) => {
    const key = name.trim().toLowerCase();
    if (!key) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else problems.push({ path: [index, "name"], message: `${kind} ${first + 1} already has this name.` });
  });
  return problems;
}

function listProblem(values: readonly string[], max: number, check: (value: string) => boolean, what: string): string | null {
  if (values.length > max) return `Use at most ${max}.`;
  const bad = values.find((value) => !check(value));
  return bad === undefined ? null : `“${bad}” is not ${what}.`;
}

function conditionProblems(form: ConditionsForm, index: number): RoutingProblem[] {
  const problems: RoutingProblem[] = [];
  const at = (field: keyof ConditionsForm | null, message: string) =>
    problems.push({ path: field ? [index, "conditions", field] : [index, "conditions"], message });
  const lists: [keyof ConditionsForm, string | null][] = [
    ["os", listProblem(form.os, MAX_AGENT_NAMES, (name) => [...name].length <= MAX_AGENT_NAME && !UNPRINTABLE.test(name), `an operating system name (up to ${MAX_AGENT_NAME} characters)`)],
    ["browsers", listProblem(form.browsers, MAX_AGENT_NAMES, (name) => [...name].length <= MAX_AGENT_NAME && !UNPRINTABLE.test(name), `a browser name (up to ${MAX_AGENT_NAME} characters)`)],
    ["countries", listProblem(form.countries, MAX_COUNTRIES, (code) => COUNTRY_PATTERN.test(code), "a two-letter country code (such as DE)")],
    ["languages", listProblem(form.languages, MAX_LANGUAGES, (tag) => LANGUAGE_PATTERN.test(tag), "a language tag (such as en, de or en-GB)")],
  ];
  for (const [field, message] of lists) if (message) at(field, message);
  const startsAt = fromLocalInput(form.starts_at);
  const endsAt = fromLocalInput(form.ends_at);
  if (form.starts_at && !startsAt) at("starts_at", "Enter a date and time.");
  if (form.ends_at && !endsAt) at("ends_at", "Enter a date and time.");
  if (startsAt && endsAt && new Date(endsAt) <= new Date(startsAt)) at("ends_at", "The end must be after the start.");
  if (Object.keys(conditionsBody(form)).length === 0 && !form.starts_at && !form.ends_at) {
    at(null, "Choose at least one condition: a rule without any would take every visitor.");
  }
  return problems;
}

/** The problems of the rules, each at its path in the form's `rules` (e.g. [1, "target"]); none: []. */
export function ruleProblems(rules: readonly RuleForm[]): RoutingProblem[] {
  const problems: RoutingProblem[] = [];
  if (rules.length > MAX_RULES) problems.push({ path: ["root"], message: `A link has at most ${MAX_RULES} rules.` });
  rules.forEach((rule, index) => {
    const name = nameProblem(rule.name);
    if (name) problems.push({ path: [index, "name"], message: name });
    const target = targetProblem(rule.target);
    if (target) problems.push({ path: [index, "target"], message: target });
    problems.push(...conditionProblems(rule.conditions, index));
  });
  return [...problems, ...duplicateNames(rules.map((rule) => rule.name), "Rule")];
}

/** The problems of the split, each at its path in the form's `variants`; none: []. */
export function variantProblems(variants: readonly VariantForm[]): RoutingProblem[] {
  const problems: RoutingProblem[] = [];
  if (variants.length === 1) problems.push({ path: ["root"], message: `An A/B split needs at least ${MIN_VARIANTS} variants (or remove the split).` });
  if (variants.length > MAX_VARIANTS) problems.push({ path: ["root"], message: `A split has at most ${MAX_VARIANTS} variants.` });
  variants.forEach((variant, index) => {
    const name = nameProblem(variant.name);
    if (name) problems.push({ path: [index, "name"], message: name });
    const target = targetProblem(variant.target);
    if (target) problems.push({ path: [index, "target"], message: target });
    if (weightOf(variant.weight) === null) problems.push({ path: [index, "weight"], message: `Enter a whole number from 1 to ${MAX_WEIGHT}.` });
  });
  return [...problems, ...duplicateNames(variants.map((variant) => variant.name), "Variant")];
}

// --- the API's errors

export type RoutingError = { path: string; message: string };

/**
 * Where the API's errors about rules and variants belong in the form: `["body", "rules", 1, "conditions",
 * "countries", 0]` under `rules.1.conditions.countries`; an error about the whole list under `rules.root`.
 */
export function routingErrors(error: unknown): RoutingError[] {
  if (!(error instanceof ApiError) || !error.problem?.errors) return [];
  const found: RoutingError[] = [];
  for (const item of error.problem.errors) {
    const loc = Array.isArray(item.loc) ? item.loc : [];
    if (loc[0] !== "body" || (loc[1] !== "rules" && loc[1] !== "variants")) continue;
    const rest = loc.slice(2);
    const index = rest[0];
    const field = typeof index === "number" ? [index, ...fieldPath(rest.slice(1))] : ["root"];
    const message = typeof item.msg === "string" ? readable(item.msg) : "Is not valid.";
    found.push({ path: [loc[1], ...field].join("."), message });
  }
  return found;
}

/** A path inside one rule or variant, down to a form field: a list item's error goes to its list. */
function fieldPath(rest: unknown[]): (string | number)[] {
  if (rest[0] === "conditions") return typeof rest[1] === "string" ? ["conditions", rest[1]] : ["conditions"];
  return typeof rest[0] === "string" ? [rest[0]] : [];
}

// Pydantic prefixes the messages of custom validators: "Value error, a rule needs at least one condition".
function readable(message: string): string {
  const text = message.replace(/^Value error, /, "");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
