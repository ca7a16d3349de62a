import { describe, expect, it } from "vitest";
import { type Domain, createBody, defaultHost, domainSchema, hostOf, hostProblem, redirectProblem, severalDomains, updateBody } from "./domains";

const domain = (host: string, extra: Partial<Domain> = {}): Domain => ({
  host,
  is_default: false,
  base_redirect: null,
  not_found_redirect: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  links: 0,
  ...extra,
});

describe("hostProblem", () => {
  it("takes a domain with an optional port, leaving the rest to the API", () => {
    expect(hostProblem("go.example")).toBeNull();
    expect(hostProblem(" Go.Example. ")).toBeNull();
    expect(hostProblem("links.example:8443")).toBeNull();
    expect(hostProblem("bücher.example")).toBeNull();
  });

  it("refuses a scheme, a path, a user name, a query and white space", () => {
    expect(hostProblem("")).toMatch(/Enter a domain/);
    expect(hostProblem("https://go.example")).toMatch(/without http/);
    expect(hostProblem("evil.com/path")).toMatch(/only the domain name/);
    expect(hostProblem("user@host.example")).toMatch(/only the domain name/);
    expect(hostProblem("go.example?x")).toMatch(/only the domain name/);
    expect(hostProblem("go example")).toMatch(/only the domain name/);
  });
});

describe("redirectProblem", () => {
  it("takes nothing or an http(s) URL", () => {
    expect(redirectProblem("")).toBeNull();
    expect(redirectProblem("https://example.com/404")).toBeNull();
    expect(redirectProblem("ftp://example.com/")).toMatch(/http/);
    expect(redirectProblem("https://")).toMatch(/not a valid URL/);
  });
});

describe("bodies", () => {
  it("creates with only the redirects that are set", () => {
    expect(createBody({ host: " go.example ", base_redirect: "", not_found_redirect: "https://example.com/" })).toEqual({
      host: "go.example",
      not_found_redirect: "https://example.com/",
    });
    expect(domainSchema.safeParse({ host: "go.example/x", base_redirect: "", not_found_redirect: "" }).success).toBe(false);
  });

  it("sends only what changed, null for a cleared redirect", () => {
    const before = domain("go.example", { base_redirect: "https://example.com/" });
    expect(updateBody({ base_redirect: "https://example.com/", not_found_redirect: "" }, before)).toEqual({});
    expect(updateBody({ base_redirect: "", not_found_redirect: "https://example.com/nf" }, before)).toEqual({
      base_redirect: null,
      not_found_redirect: "https://example.com/nf",
    });
  });
});

describe("domains on screen", () => {
  const domains = [domain("hop.example", { is_default: true, links: null }), domain("go.example")];

  it("knows whether links may live on several domains, and the default one's host", () => {
    expect(severalDomains(domains)).toBe(true);
    expect(severalDomains(domains.slice(0, 1))).toBe(false);
    expect(severalDomains(undefined)).toBe(false);
    expect(defaultHost(domains)).toBe("hop.example");
    expect(hostOf(null, domains)).toBe("hop.example");
    expect(hostOf("go.example", domains)).toBe("go.example");
  });
});
