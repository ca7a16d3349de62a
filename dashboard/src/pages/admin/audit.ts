/**
 * The audit log page's pure parts: its filters (kept in the URL, turned into the API's query), who
 * an actor was, and what an entry changed, field by field, from its old and new values.
 */
import type { components } from "../../api/schema";

export type AuditEntry = components["schemas"]["AuditEntry"];
export type EntityType = AuditEntry["entity_type"];

export const AUDIT_PAGE_SIZE = 50;

/** The actions the API records (admin/routes/audit.py); the filter also takes others it may add. */
export const KNOWN_ACTIONS = [
  "link.create",
  "link.update",
  "link.disable",
  "link.enable",
  "link.delete",
  "link.bulk_create",
  "link.import",
  "user.create",
  "user.disable",
  "user.enable",
  "user.role_change",
  "user.password_change",
  "user.password_reset",
  "user.sessions_revoke",
  "domain.create",
  "domain.update",
  "domain.delete",
] as const;

export type AuditFilters = {
  action: string;
  actorId: number | null;
  entityType: EntityType | null;
  entityCode: string;
  /** ISO instants with offset, as the API takes them. */
  since: string | null;
  until: string | null;
};

export const NO_FILTERS: AuditFilters = { action: "", actorId: null, entityType: null, entityCode: "", since: null, until: null };

const ACTION_PATTERN = /^[a-z_.]{1,64}$/;
const MAX_ID = 2 ** 62;

function positiveId(text: string | null): number | null {
  if (!text || !/^\d{1,19}$/.test(text)) return null;
  const id = Number(text);
  return id >= 1 && id <= MAX_ID ? id : null;
}

function instant(text: string | null): string | null {
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The filters of a URL; anything the API would refuse is left out rather than sent. */
export function auditFiltersFrom(search: URLSearchParams): AuditFilters {
  const action = search.get("action") ?? "";
  const entityType = search.get("entity_type");
  return {
    action: ACTION_PATTERN.test(action) ? action : "",
    actorId: positiveId(search.get("actor")),
    entityType: entityType === "link" || entityType === "user" || entityType === "domain" ? entityType : null,
    entityCode: (search.get("entity") ?? "").trim().slice(0, 254),
    since: instant(search.get("since")),
    until: instant(search.get("until")),
  };
}

export function auditSearchFrom(filters: AuditFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.action) search.set("action", filters.action);
  if (filters.actorId !== null) search.set("actor", String(filters.actorId));
  if (filters.entityType) search.set("entity_type", filters.entityType);
  if (filters.entityCode) search.set("entity", filters.entityCode);
  if (filters.since) search.set("since", filters.since);
  if (filters.until) search.set("until", filters.until);
  return search;
}

export function hasFilters(filters: AuditFilters): boolean {
  return auditSearchFrom(filters).size > 0;
}

/** GET /audit's query for one page of the filtered log. */
export function auditQuery(filters: AuditFilters, cursor: string | null, limit: number) {
  return {
    action: filters.action || null,
    actor_id: filters.actorId,
    entity_type: filters.entityType,
    entity_code: filters.entityCode || null,
    since: filters.since,
    until: filters.until,
    cursor,
    limit,
  };
}

export type ActorInput = { kind: "any" } | { kind: "id"; id: number } | { kind: "email"; email: string } | { kind: "invalid" };

/** The actor filter takes a user id or an e-mail address (looked up on the server). */
export function parseActor(text: string): ActorInput {
  const trimmed = text.trim().replace(/^#/, "");
  if (!trimmed) return { kind: "any" };
  const id = positiveId(trimmed);
  if (id !== null) return { kind: "id", id };
  if (/^[^\s@]+@[^\s@]+$/.test(trimmed)) return { kind: "email", email: trimmed };
  return { kind: "invalid" };
}

/** Who did it, in words: a user's address when known, how they authenticated, or the command line. */
export function actorLabel(entry: Pick<AuditEntry, "actor_id" | "actor_kind">, directory: ReadonlyMap<number, string> | undefined): string {
  if (entry.actor_kind === "cli" || entry.actor_id === null) return "Command line";
  const who = directory?.get(entry.actor_id) ?? `User #${entry.actor_id}`;
  return entry.actor_kind === "api_key" ? `${who} (API key)` : who;
}

const ENTITY_KINDS: Record<EntityType, string> = { link: "Link", user: "User", domain: "Domain" };

/** What it was done to: "Link abc123", "User ada@example.com", "Domain go.example", or the id when that is all there is. */
export function entityLabel(entry: Pick<AuditEntry, "entity_type" | "entity_id" | "entity_code">): string {
  const kind = ENTITY_KINDS[entry.entity_type];
  if (entry.entity_code) return `${kind} ${entry.entity_code}`;
  return entry.entity_id !== null ? `${kind} #${entry.entity_id}` : kind;
}

export type DiffKind = "added" | "removed" | "changed" | "unchanged";
export type DiffRow = { field: string; kind: DiffKind; before: string; after: string };

type Values = Record<string, unknown> | null | undefined;

/** JSON with object keys sorted, so that equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

/** A value as the diff shows it: text as it is, null as "none", the rest as JSON. */
export function formatAuditValue(value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "none";
  if (typeof value === "string") return value === "" ? '""' : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return canonical(value);
}

/** Field by field, what an entry changed: new fields first in their order, then fields only in the old values. */
export function auditDiff(oldValues: Values, newValues: Values): DiffRow[] {
  const before = oldValues ?? {};
  const after = newValues ?? {};
  const fields = [...new Set([...Object.keys(after), ...Object.keys(before)])];
  return fields.map((field) => {
    const inBefore = Object.hasOwn(before, field);
    const inAfter = Object.hasOwn(after, field);
    const kind: DiffKind = !inBefore ? "added" : !inAfter ? "removed" : canonical(before[field]) === canonical(after[field]) ? "unchanged" : "changed";
    return { field, kind, before: formatAuditValue(inBefore ? before[field] : undefined), after: formatAuditValue(inAfter ? after[field] : undefined) };
  });
}

/** The filter form as typed: local date-times, the actor as an id or an address. */
export type AuditFormValues = { action: string; actor: string; entityType: "" | EntityType; entity: string; since: string; until: string };

/** What the form can check before the actor is looked up: the action's shape, the actor's, the range's order. */
export function checkAuditForm(values: AuditFormValues, toInstant: (local: string) => string | null): Partial<Record<keyof AuditFormValues, string>> {
  const problems: Partial<Record<keyof AuditFormValues, string>> = {};
  const action = values.action.trim();
  if (action && !ACTION_PATTERN.test(action)) problems.action = "Use an action such as link.update: lower-case letters, dots and underscores.";
  if (parseActor(values.actor).kind === "invalid") problems.actor = "Enter a user id or an e-mail address.";
  const since = values.since ? toInstant(values.since) : null;
  const until = values.until ? toInstant(values.until) : null;
  if (values.since && !since) problems.since = "Enter a valid date and time.";
  if (values.until && !until) problems.until = "Enter a valid date and time.";
  if (since && until && since >= until) problems.until = "Choose an end after the start.";
  return problems;
}

/** Under the list: how much of the log is on screen. */
export function loadedSummary(count: number, more: boolean): string {
  const entries = count === 1 ? "1 entry" : `${count} entries`;
  if (more) return `Showing the newest ${entries}; older ones follow with “Load more”.`;
  return count === 1 ? "The only entry shown." : `All ${entries} shown.`;
}
