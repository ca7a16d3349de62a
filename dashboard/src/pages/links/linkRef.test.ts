import { describe, expect, it } from "vitest";
import { domainParam, domainQuery, linkApiUrl, linkKey, linkLabel, linkPage, refOfKey } from "./linkRef";

const onDomain = { code: "abc", domain: "go.example" };
const onDefault = { code: "abc", domain: null };

describe("link references", () => {
  it("reads the domain of a page's address, empty or absent being the default one", () => {
    expect(domainParam(new URLSearchParams("domain=go.example"))).toBe("go.example");
    expect(domainParam(new URLSearchParams("domain="))).toBeNull();
    expect(domainParam(new URLSearchParams(""))).toBeNull();
  });

  it("keys links uniquely across domains, and reads the keys back", () => {
    expect(linkKey(onDefault)).toBe("abc");
    expect(linkKey(onDomain)).toBe("go.example/abc");
    expect(refOfKey("go.example:8080/abc")).toEqual({ code: "abc", domain: "go.example:8080" });
    expect(refOfKey("abc")).toEqual(onDefault);
  });

  it("builds the dashboard's addresses with the domain, keeping other parameters", () => {
    expect(linkPage(onDefault)).toBe("/links/abc");
    expect(linkPage(onDomain)).toBe("/links/abc?domain=go.example");
    expect(linkPage(onDomain, "/analytics", new URLSearchParams("range=7d&domain=old.example"))).toBe("/links/abc/analytics?range=7d&domain=go.example");
  });

  it("builds API addresses and query parameters with the domain", () => {
    expect(linkApiUrl(onDomain, "/qr", { format: "svg" })).toBe("/api/v1/links/abc/qr?format=svg&domain=go.example");
    expect(linkApiUrl({ code: "a b", domain: null }, "/clicks/stream")).toBe("/api/v1/links/a%20b/clicks/stream");
    expect(domainQuery(null)).toEqual({});
    expect(domainQuery("go.example")).toEqual({ domain: "go.example" });
  });

  it("labels links as people read them", () => {
    expect(linkLabel(onDefault)).toBe("/abc");
    expect(linkLabel(onDomain)).toBe("go.example/abc");
  });
});
