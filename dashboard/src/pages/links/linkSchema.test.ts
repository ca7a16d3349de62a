import { describe, expect, it } from "vitest";
import { toLocalInput } from "../../lib/format";
import { EMPTY_LINK, type LinkFormValues, codeProblem, createBody, linkFormSchema, passwordProblem, targetProblem, updateBody, valuesFromLink } from "./linkSchema";
import type { Link } from "./queries";

const NOW = new Date("2026-06-01T12:00:00Z");
const schema = linkFormSchema({ now: () => NOW });

function errorsOf(values: Partial<LinkFormValues>, options: Parameters<typeof linkFormSchema>[0] = { now: () => NOW }) {
  const result = linkFormSchema(options).safeParse({ ...EMPTY_LINK, target_url: "https://example.com", ...values });
  return result.success ? {} : Object.fromEntries(result.error.issues.map((issue) => [String(issue.path[0]), issue.message]));
}

const LINK: Link = {
  code: "spring",
  domain: null,
  short_url: "https://hop.example/spring",
  target_url: "https://example.com/",
  destination_url: "https://example.com/",
  redirect_status: 302,
  expires_at: "2026-01-01T00:00:00Z",
  max_clicks: null,
  forward_query: false,
  disabled: false,
  title: "Spring",
  tags: ["b", "a"],
  has_password: false,
  utm: { source: null, medium: null, campaign: null, term: null, content: null },
  preview: null,
  click_count: 3,
  human_clicks: 2,
  bot_clicks: 1,
  imported_clicks: 0,
  rules: null,
  variants: null,
  owner_id: 1,
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
};

describe("targetProblem", () => {
  it("accepts http and https URLs", () => {
    expect(targetProblem("https://example.com/a?b=c")).toBeNull();
    expect(targetProblem("  HTTP://example.com ")).toBeNull();
  });

  it("refuses other schemes, bare hosts and credentials", () => {
    expect(targetProblem("")).toMatch(/Enter the URL/);
    expect(targetProblem("example.com")).toMatch(/http:\/\/ or https:\/\//);
    expect(targetProblem("javascript:alert(1)")).toMatch(/http:\/\/ or https:\/\//);
    expect(targetProblem("ftp://example.com")).toMatch(/http:\/\/ or https:\/\//);
    expect(targetProblem("https://user:pw@example.com")).toMatch(/user name or password/);
    expect(targetProblem(`https://example.com/${"a".repeat(2048)}`)).toMatch(/longer than/);
  });
});

describe("codeProblem", () => {
  it("accepts an empty code (random) and the API's pattern", () => {
    expect(codeProblem("")).toBeNull();
    expect(codeProblem("Spring_sale-2026")).toBeNull();
    expect(codeProblem("x".repeat(64))).toBeNull();
  });

  it("refuses other characters, long codes and reserved words", () => {
    expect(codeProblem("a b")).toMatch(/letters, digits/);
    expect(codeProblem("a.b")).toMatch(/letters, digits/);
    expect(codeProblem("x".repeat(65))).toMatch(/letters, digits/);
    expect(codeProblem("API")).toMatch(/reserved/);
  });
});

describe("passwordProblem", () => {
  it("accepts no password (an open link) and 4 to 256 characters, spaces included", () => {
    expect(passwordProblem("")).toBeNull();
    expect(passwordProblem("    ")).toBeNull();
    expect(passwordProblem("x".repeat(256))).toBeNull();
  });

  it("refuses fewer than 4 or more than 256 characters, counted as the API counts them", () => {
    expect(passwordProblem("abc")).toMatch(/at least 4/);
    expect(passwordProblem("x".repeat(257))).toMatch(/at most 256/);
    // Two emoji are four UTF-16 units but two characters.
    expect(passwordProblem("🔒🔑")).toMatch(/at least 4/);
  });
});

describe("linkFormSchema", () => {
  it("accepts a minimal link", () => {
    expect(schema.safeParse({ ...EMPTY_LINK, target_url: "https://example.com" }).success).toBe(true);
  });

  it("wants a future expiry", () => {
    expect(errorsOf({ expires_at: "2026-06-01T11:00" })).toHaveProperty("expires_at");
    expect(errorsOf({ expires_at: "2027-01-01T00:00" })).toEqual({});
  });

  it("lets an expiry the link already had stay, even in the past", () => {
    const past = toLocalInput("2026-01-01T00:00:00Z");
    expect(errorsOf({ expires_at: past }, { now: () => NOW, originalExpiry: past })).toEqual({});
  });

  it("wants a positive whole number of clicks", () => {
    for (const bad of ["0", "-1", "1.5", "ten", "99999999999999999999"]) expect(errorsOf({ max_clicks: bad })).toHaveProperty("max_clicks");
    expect(errorsOf({ max_clicks: " 100 " })).toEqual({});
  });

  it("refuses long titles, control characters and too many tags", () => {
    expect(errorsOf({ title: "x".repeat(501) })).toHaveProperty("title");
    expect(errorsOf({ title: "a\nb" })).toHaveProperty("title");
    expect(errorsOf({ tags: Array.from({ length: 33 }, (_, i) => `t${i}`) })).toHaveProperty("tags");
    expect(errorsOf({ tags: Array.from({ length: 32 }, (_, i) => `t${i}`) })).toEqual({});
  });
});

describe("createBody", () => {
  it("leaves empty optional fields out, the default domain included", () => {
    expect(createBody({ ...EMPTY_LINK, target_url: " https://example.com " })).toEqual({
      target_url: "https://example.com",
      redirect_status: 302,
      forward_query: false,
      tags: [],
    });
  });

  it("sends every field that is set", () => {
    const body = createBody({
      ...EMPTY_LINK,
      target_url: "https://example.com",
      code: " spring ",
      domain: "go.example",
      redirect_status: "301",
      expires_at: "2027-01-01T00:00",
      max_clicks: "10",
      forward_query: true,
      title: " Spring ",
      tags: ["a"],
      password: " open sesame ",
      remove_password: false,
    });
    expect(body).toMatchObject({ code: "spring", domain: "go.example", redirect_status: 301, max_clicks: 10, forward_query: true, title: "Spring", tags: ["a"] });
    // A password is sent exactly as typed.
    expect(body.password).toBe(" open sesame ");
    expect(new Date(body.expires_at ?? "").getTime()).toBe(new Date("2027-01-01T00:00").getTime());
  });

  it("sends only the UTM and preview fields that are set, the description on one line", () => {
    const body = createBody({
      ...EMPTY_LINK,
      target_url: "https://example.com",
      utm_source: " newsletter ",
      utm_campaign: "black-friday",
      preview_description: "Half price.\n  Today only. ",
      preview_image: " ",
    });
    expect(body.utm).toEqual({ source: "newsletter", campaign: "black-friday" });
    expect(body.preview).toEqual({ description: "Half price. Today only." });
  });
});

describe("UTM and preview checks", () => {
  it("refuses long values and control characters, and images that are not absolute http(s) URLs", () => {
    expect(errorsOf({ utm_source: "x".repeat(200), preview_title: "t".repeat(200), preview_description: "d\n".repeat(250) })).toEqual({});
    expect(errorsOf({ utm_source: "x".repeat(201) })).toHaveProperty("utm_source");
    expect(errorsOf({ utm_medium: "a\nb" })).toHaveProperty("utm_medium");
    expect(errorsOf({ preview_title: "t".repeat(201) })).toHaveProperty("preview_title");
    expect(errorsOf({ preview_description: "d".repeat(501) })).toHaveProperty("preview_description");
    for (const image of ["javascript:alert(1)", "/card.png", "card.png", "data:image/png;base64,AAAA", "https://"]) {
      expect(errorsOf({ preview_image: image })).toHaveProperty("preview_image");
    }
    expect(errorsOf({ preview_image: "https://cdn.example/card.png" })).toEqual({});
  });
});

describe("updateBody", () => {
  it("is empty when nothing changed (a passed expiry is not sent again)", () => {
    expect(updateBody(valuesFromLink(LINK), LINK)).toEqual({});
    expect(updateBody({ ...valuesFromLink(LINK), tags: ["a", "b"] }, LINK)).toEqual({});
  });

  it("sends only what changed", () => {
    expect(updateBody({ ...valuesFromLink(LINK), title: "Summer", redirect_status: "308" }, LINK)).toEqual({ title: "Summer", redirect_status: 308 });
  });

  it("clears emptied expiry, limit and title with null", () => {
    const link = { ...LINK, max_clicks: 5 };
    expect(updateBody({ ...valuesFromLink(link), expires_at: "", max_clicks: "", title: "" }, link)).toEqual({ expires_at: null, max_clicks: null, title: null });
  });

  it("keeps the password unless a new one is typed, and removes it with null", () => {
    const locked = { ...LINK, has_password: true };
    expect(valuesFromLink(locked)).toMatchObject({ password: "", remove_password: false });
    expect(updateBody(valuesFromLink(locked), locked)).toEqual({});
    expect(updateBody({ ...valuesFromLink(locked), password: "new one" }, locked)).toEqual({ password: "new one" });
    expect(updateBody({ ...valuesFromLink(locked), remove_password: true }, locked)).toEqual({ password: null });
    expect(updateBody({ ...valuesFromLink(LINK), password: "first" }, LINK)).toEqual({ password: "first" });
    // Nothing to remove on an open link.
    expect(updateBody({ ...valuesFromLink(LINK), remove_password: true }, LINK)).toEqual({});
  });

  it("sends a changed group whole, and null when it is emptied", () => {
    const tagged = { ...LINK, utm: { ...LINK.utm, source: "a", medium: "b" }, preview: { title: "T", description: null, image: null } };
    expect(valuesFromLink(tagged)).toMatchObject({ utm_source: "a", utm_medium: "b", preview_title: "T", preview_image: "" });
    expect(updateBody(valuesFromLink(tagged), tagged)).toEqual({});
    expect(updateBody({ ...valuesFromLink(tagged), utm_medium: "c" }, tagged)).toEqual({ utm: { source: "a", medium: "c" } });
    expect(updateBody({ ...valuesFromLink(tagged), utm_source: "", utm_medium: " ", preview_title: "" }, tagged)).toEqual({ utm: null, preview: null });
  });
});
