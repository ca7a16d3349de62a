import { describe, expect, it } from "vitest";
import { quotePlus, withUtm } from "./utm";

// The same cases as the server's (common/utm.py, tests/admin/routes/test_link_metadata.py).
describe("withUtm", () => {
  it("leaves the target unchanged when no field is set", () => {
    expect(withUtm("https://e.com/a?b=1#top", {})).toBe("https://e.com/a?b=1#top");
    expect(withUtm("https://e.com/a", { source: "", medium: "  ", campaign: null })).toBe("https://e.com/a");
  });

  it("appends the set fields in their fixed order", () => {
    expect(withUtm("https://e.com/", { campaign: "c", source: "s" })).toBe("https://e.com/?utm_source=s&utm_campaign=c");
  });

  it("replaces a utm_source already in the target and keeps the other parameters and the fragment", () => {
    const target = "https://shop.example/sale?utm_source=old&ref=a%2Cb#top";
    const destination = withUtm(target, { source: " newsletter ", medium: "email", campaign: "black friday" });
    expect(destination).toBe("https://shop.example/sale?ref=a%2Cb&utm_source=newsletter&utm_medium=email&utm_campaign=black+friday#top");
  });

  it("replaces parameters whose encoded name is a utm field, and keeps odd pairs byte for byte", () => {
    expect(withUtm("https://e.com/?utm%5Fsource=x&a=%zz&&b", { source: "y" })).toBe("https://e.com/?a=%zz&b&utm_source=y");
  });

  it("encodes values as Python's urlencode does", () => {
    expect(quotePlus("a b&c=d/é~*'")).toBe("a+b%26c%3Dd%2F%C3%A9~%2A%27");
    expect(withUtm("https://e.com/", { term: "=t" })).toBe("https://e.com/?utm_term=%3Dt");
  });

  it("gives null for fields on a target that is no absolute URL", () => {
    expect(withUtm("/relative", { source: "s" })).toBeNull();
  });
});
