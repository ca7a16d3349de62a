import { describe, expect, it } from "vitest";
import {
  checkAuditForm,
  NO_FILTERS,
  actorLabel,
  auditDiff,
  auditFiltersFrom,
  auditQuery,
  auditSearchFrom,
  entityLabel,
  formatAuditValue,
  hasFilters,
  loadedSummary,
  parseActor,
} from "./audit";

describe("auditDiff", () => {
  it("marks what changed, what stayed and what came or went", () => {
    const rows = auditDiff({ target_url: "https://a.example", disabled: false, title: "Old" }, { target_url: "https://b.example", disabled: false, tags: ["x"] });
    expect(rows).toEqual([
      { field: "target_url", kind: "changed", before: "https://a.example", after: "https://b.example" },
      { field: "disabled", kind: "unchanged", before: "false", after: "false" },
      { field: "tags", kind: "added", before: "—", after: '["x"]' },
      { field: "title", kind: "removed", before: "Old", after: "—" },
    ]);
  });

  it("shows a creation as all added and a deletion as all removed", () => {
    expect(auditDiff(null, { email: "ada@example.com", role: "user" }).map((row) => row.kind)).toEqual(["added", "added"]);
    expect(auditDiff({ code: "abc" }, null)).toEqual([{ field: "code", kind: "removed", before: "abc", after: "—" }]);
  });

  it("has nothing to show for an entry without values", () => {
    expect(auditDiff(null, null)).toEqual([]);
  });

  it("compares nested values by content, not by key order", () => {
    expect(auditDiff({ utm: { a: 1, b: 2 } }, { utm: { b: 2, a: 1 } })[0]?.kind).toBe("unchanged");
    expect(auditDiff({ utm: { a: 1 } }, { utm: { a: 2 } })[0]?.kind).toBe("changed");
  });

  it("tells a value set to null from a value that was absent", () => {
    expect(auditDiff({ expires_at: "2026-01-01T00:00:00Z" }, { expires_at: null })[0]).toEqual({
      field: "expires_at",
      kind: "changed",
      before: "2026-01-01T00:00:00Z",
      after: "none",
    });
  });
});

describe("formatAuditValue", () => {
  it("shows text as it is and the rest as JSON", () => {
    expect(formatAuditValue("x")).toBe("x");
    expect(formatAuditValue("")).toBe('""');
    expect(formatAuditValue(3)).toBe("3");
    expect(formatAuditValue({ b: 1, a: [true] })).toBe('{"a":[true],"b":1}');
  });
});

describe("audit filters in the URL", () => {
  it("round-trips every filter", () => {
    const filters = {
      action: "link.update",
      actorId: 7,
      entityType: "link" as const,
      entityCode: "abc",
      since: "2026-01-01T00:00:00.000Z",
      until: "2026-02-01T00:00:00.000Z",
    };
    expect(auditFiltersFrom(auditSearchFrom(filters))).toEqual(filters);
    expect(hasFilters(filters)).toBe(true);
    expect(hasFilters(NO_FILTERS)).toBe(false);
  });

  it("drops what the API would refuse instead of sending it", () => {
    const search = new URLSearchParams({ action: "DROP TABLE", actor: "-1", entity_type: "team", since: "yesterday", until: "" });
    expect(auditFiltersFrom(search)).toEqual(NO_FILTERS);
  });

  it("becomes the API's query, blank filters as nulls, with the cursor", () => {
    expect(auditQuery({ ...NO_FILTERS, action: "user.create" }, "abc", 50)).toEqual({
      action: "user.create",
      actor_id: null,
      entity_type: null,
      entity_code: null,
      since: null,
      until: null,
      cursor: "abc",
      limit: 50,
    });
  });
});

describe("parseActor", () => {
  it("takes an id (with or without #), an address or nothing", () => {
    expect(parseActor(" 42 ")).toEqual({ kind: "id", id: 42 });
    expect(parseActor("#42")).toEqual({ kind: "id", id: 42 });
    expect(parseActor("ada@example.com")).toEqual({ kind: "email", email: "ada@example.com" });
    expect(parseActor("  ")).toEqual({ kind: "any" });
  });

  it("refuses anything else", () => {
    for (const text of ["0", "ada", "1.5", "a b@c"]) expect(parseActor(text)).toEqual({ kind: "invalid" });
  });
});

describe("labels", () => {
  const directory = new Map([[3, "ada@example.com"]]);

  it("names the actor and how they acted", () => {
    expect(actorLabel({ actor_id: 3, actor_kind: "user" }, directory)).toBe("ada@example.com");
    expect(actorLabel({ actor_id: 3, actor_kind: "api_key" }, directory)).toBe("ada@example.com (API key)");
    expect(actorLabel({ actor_id: 9, actor_kind: "user" }, directory)).toBe("User #9");
    expect(actorLabel({ actor_id: null, actor_kind: "cli" }, directory)).toBe("Command line");
  });

  it("names the entity by code, else by id", () => {
    expect(entityLabel({ entity_type: "link", entity_id: 5, entity_code: "abc" })).toBe("Link abc");
    expect(entityLabel({ entity_type: "user", entity_id: 5, entity_code: null })).toBe("User #5");
    expect(entityLabel({ entity_type: "domain", entity_id: null, entity_code: "go.example" })).toBe("Domain go.example");
  });
});

describe("checkAuditForm", () => {
  const blank = { action: "", actor: "", entityType: "" as const, entity: "", since: "", until: "" };
  const toInstant = (local: string) => {
    const date = new Date(local);
    return Number.isNaN(date.getTime()) ? null : date.toISOString();
  };

  it("accepts an empty form and a full one", () => {
    expect(checkAuditForm(blank, toInstant)).toEqual({});
    expect(
      checkAuditForm({ action: "link.update", actor: "ada@example.com", entityType: "link", entity: "abc", since: "2026-01-01T00:00", until: "2026-01-02T00:00" }, toInstant),
    ).toEqual({});
  });

  it("puts each problem under its field", () => {
    expect(checkAuditForm({ ...blank, action: "Link Update", actor: "ada" }, toInstant)).toEqual({
      action: expect.stringMatching(/lower-case/),
      actor: "Enter a user id or an e-mail address.",
    });
  });

  it("refuses a range that ends before it starts", () => {
    expect(checkAuditForm({ ...blank, since: "2026-01-02T00:00", until: "2026-01-01T00:00" }, toInstant)).toEqual({ until: "Choose an end after the start." });
  });
});

describe("loadedSummary", () => {
  it("says whether older entries remain, in good grammar", () => {
    expect(loadedSummary(1, false)).toBe("The only entry shown.");
    expect(loadedSummary(3, false)).toBe("All 3 entries shown.");
    expect(loadedSummary(50, true)).toBe("Showing the newest 50 entries; older ones follow with “Load more”.");
  });
});
