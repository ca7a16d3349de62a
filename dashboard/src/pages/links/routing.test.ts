import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { toLocalInput } from "../../lib/format";
import { linkFormErrors } from "./linkErrors";
import { EMPTY_LINK, createBody, linkFormSchema, updateBody, valuesFromLink } from "./linkSchema";
import type { Link } from "./queries";
import {
  type RuleForm,
  type TargetingRule,
  type VariantForm,
  describeConditions,
  hasRoutes,
  newRule,
  newVariant,
  routeLabel,
  routingErrors,
  ruleProblems,
  rulesBody,
  rulesToForm,
  splitLabel,
  variantPercentages,
  variantProblems,
  variantsBody,
  variantsToForm,
} from "./routing";

const RULES: TargetingRule[] = [
  { name: "Mobile", target: "https://e.com/m", conditions: { devices: ["mobile", "tablet"], os: ["iOS"], countries: ["DE", "AT"] } },
  { name: "Xmas", target: "https://e.com/x", conditions: { languages: ["en-gb"], starts_at: "2026-12-01T00:00:00Z", ends_at: "2026-12-27T00:00:00Z" } },
];
const VARIANTS = [
  { name: "A", target: "https://e.com/a", weight: 70 },
  { name: "B", target: "https://e.com/b", weight: 30 },
];

function rule(conditions: Partial<RuleForm["conditions"]> = {}, fields: Partial<Omit<RuleForm, "conditions">> = {}): RuleForm {
  const empty = newRule();
  return { ...empty, target: "https://e.com/", ...fields, conditions: { ...empty.conditions, ...conditions } };
}

function variant(weight: string, fields: Partial<VariantForm> = {}): VariantForm {
  return { ...newVariant(weight), target: "https://e.com/", ...fields };
}

function problem(errors: { loc: unknown[]; msg: string; type: string }[]) {
  return new ApiError(422, { type: "urn:hop:problem:validation_failed", title: "t", status: 422, code: "validation_failed", detail: "...", errors }, "fallback");
}

describe("variantPercentages", () => {
  it("gives each variant its share, in whole percentages that add up to 100", () => {
    expect(variantPercentages(["70", "30"])).toEqual([70, 30]);
    expect(variantPercentages(["1", "1", "1"])).toEqual([34, 33, 33]);
    expect(variantPercentages(["2", "1"])).toEqual([67, 33]);
    expect(variantPercentages(["1000", "1"])).toEqual([100, 0]);
    expect(variantPercentages([" 5 ", "5"])).toEqual([50, 50]);
  });

  it("has no shares while a weight is not a whole number from 1 to 1000", () => {
    for (const bad of ["0", "1001", "1.5", "", "x", "-3"]) expect(variantPercentages(["50", bad])).toEqual([null, null]);
    expect(variantPercentages([])).toEqual([]);
  });
});

describe("labels", () => {
  it("reads a split as its percentages", () => {
    expect(splitLabel(VARIANTS)).toBe("70/30");
    expect(splitLabel([{ weight: 1 }, { weight: 1 }, { weight: 2 }])).toBe("25/25/50");
  });

  it("reads routes as people would", () => {
    expect(routeLabel("")).toBe("Default target");
    expect(routeLabel(null)).toBe("Default target");
    expect(routeLabel("rule:Mobile DE")).toBe("Rule: Mobile DE");
    expect(routeLabel("rule:a:b")).toBe("Rule: a:b");
    expect(routeLabel("variant:B")).toBe("Variant B");
  });

  it("shows routes for a routed link, or when some click took one", () => {
    expect(hasRoutes([{ value: "" }], false)).toBe(false);
    expect(hasRoutes(undefined, false)).toBe(false);
    expect(hasRoutes([], true)).toBe(true);
    expect(hasRoutes([{ value: "" }, { value: "variant:A" }], false)).toBe(true);
  });

  it("describes a rule's conditions, one part each", () => {
    const time = (iso: string) => iso.slice(0, 10);
    expect(describeConditions(RULES[0]!.conditions, time)).toEqual(["Mobile or Tablet", "iOS", "DE or AT"]);
    expect(describeConditions(RULES[1]!.conditions, time)).toEqual(["en-gb", "2026-12-01 to 2026-12-27"]);
    expect(describeConditions({ starts_at: "2026-12-01T00:00:00Z" }, time)).toEqual(["From 2026-12-01"]);
    expect(describeConditions({ ends_at: "2026-12-01T00:00:00Z" }, time)).toEqual(["Until 2026-12-01"]);
  });
});

describe("the form and the API", () => {
  it("turns the API's rules and variants into the form's values and back", () => {
    const rules = rulesToForm(RULES);
    expect(rules[1]!.conditions).toEqual({
      devices: [],
      os: [],
      browsers: [],
      countries: [],
      languages: ["en-gb"],
      starts_at: toLocalInput("2026-12-01T00:00:00Z"),
      ends_at: toLocalInput("2026-12-27T00:00:00Z"),
    });
    expect(rulesBody(rules)).toEqual([
      RULES[0],
      { ...RULES[1], conditions: { languages: ["en-gb"], starts_at: "2026-12-01T00:00:00.000Z", ends_at: "2026-12-27T00:00:00.000Z" } },
    ]);
    expect(variantsBody(variantsToForm(VARIANTS))).toEqual(VARIANTS);
    expect(rulesToForm(null)).toEqual([]);
    expect(variantsToForm(undefined)).toEqual([]);
  });

  it("sends no rules or split as null, and leaves a blank name for the API to fill in", () => {
    expect(rulesBody([])).toBeNull();
    expect(variantsBody([])).toBeNull();
    expect(rulesBody([rule({ countries: ["DE"] }, { name: "  ", target: " https://e.com/ " })])).toEqual([{ target: "https://e.com/", conditions: { countries: ["DE"] } }]);
    expect(variantsBody([variant(" 70 ", { name: " A " }), variant("30")])).toEqual([
      { name: "A", target: "https://e.com/", weight: 70 },
      { target: "https://e.com/", weight: 30 },
    ]);
  });

  it("creates a link with its rules and split, and leaves both out when there are none", () => {
    const values = { ...EMPTY_LINK, target_url: "https://e.com/", rules: rulesToForm(RULES), variants: variantsToForm(VARIANTS) };
    const body = createBody(values);
    expect(body.rules?.map((item) => item.name)).toEqual(["Mobile", "Xmas"]);
    expect(body.variants).toEqual(VARIANTS);
    const plain = createBody({ ...EMPTY_LINK, target_url: "https://e.com/" });
    expect("rules" in plain || "variants" in plain).toBe(false);
  });

  it("patches the rules or the split only when they changed, whole, and null when emptied", () => {
    const link = { target_url: "https://e.com/", rules: RULES, variants: VARIANTS } as unknown as Link;
    const base = { ...EMPTY_LINK, ...valuesFromLink({ ...LINK, ...link }) };
    const before = { ...LINK, ...link };
    expect(updateBody(base, before)).toEqual({});
    const moved = { ...base, rules: [base.rules[1]!, base.rules[0]!] };
    expect(updateBody(moved, before).rules?.map((item) => item.name)).toEqual(["Xmas", "Mobile"]);
    expect(updateBody(moved, before)).not.toHaveProperty("variants");
    const reweighted = { ...base, variants: [{ ...base.variants[0]!, weight: "60" }, { ...base.variants[1]!, weight: "40" }] };
    expect(updateBody(reweighted, before)).toEqual({ variants: [{ ...VARIANTS[0], weight: 60 }, { ...VARIANTS[1], weight: 40 }] });
    expect(updateBody({ ...base, rules: [], variants: [] }, before)).toEqual({ rules: null, variants: null });
  });
});

describe("what the browser checks", () => {
  it("wants a target and at least one condition in each rule", () => {
    expect(ruleProblems([rule({ devices: ["mobile"] })])).toEqual([]);
    expect(ruleProblems([rule({}, { target: "" })])).toEqual([
      { path: [0, "target"], message: "Enter the URL the short link leads to." },
      { path: [0, "conditions"], message: "Choose at least one condition: a rule without any would take every visitor." },
    ]);
    expect(ruleProblems([rule({ devices: ["bot"] }, { target: "javascript:alert(1)" })])[0]?.path).toEqual([0, "target"]);
  });

  it("checks countries, languages, names and the time window", () => {
    const paths = (rules: RuleForm[]) => ruleProblems(rules).map((item) => item.path.join("."));
    expect(paths([rule({ countries: ["DEU"] })])).toEqual(["0.conditions.countries"]);
    expect(paths([rule({ languages: ["en_gb"] })])).toEqual(["0.conditions.languages"]);
    expect(paths([rule({ languages: ["en-gb", "pt-br", "de"], countries: ["DE"] })])).toEqual([]);
    expect(paths([rule({ os: ["x".repeat(41)] })])).toEqual(["0.conditions.os"]);
    expect(paths([rule({ starts_at: "2026-12-02T00:00", ends_at: "2026-12-01T00:00" })])).toEqual(["0.conditions.ends_at"]);
    expect(paths([rule({ starts_at: "2026-12-01T00:00" })])).toEqual([]);
    expect(paths([rule({ devices: ["mobile"] }, { name: "x".repeat(41) })])).toEqual(["0.name"]);
    expect(ruleProblems([rule({ devices: ["mobile"] }, { name: "Same" }), rule({ devices: ["bot"] }, { name: "same " })])).toEqual([
      { path: [1, "name"], message: "Rule 1 already has this name." },
    ]);
    expect(paths(Array.from({ length: 26 }, () => rule({ devices: ["mobile"] })))).toEqual(["root"]);
  });

  it("wants two to ten variants with whole weights", () => {
    expect(variantProblems([variant("70"), variant("30")])).toEqual([]);
    expect(variantProblems([variant("70")]).map((item) => item.path)).toEqual([["root"]]);
    expect(variantProblems([variant("0"), variant("1.5"), variant("1001")]).map((item) => item.path)).toEqual([
      [0, "weight"],
      [1, "weight"],
      [2, "weight"],
    ]);
    expect(variantProblems([variant("1", { name: "A" }), variant("1", { name: "a" })])).toEqual([{ path: [1, "name"], message: "Variant 1 already has this name." }]);
    expect(variantProblems(Array.from({ length: 11 }, () => variant("1"))).map((item) => item.path)).toEqual([["root"]]);
  });

  it("places the problems in the link form's schema under their fields", () => {
    const result = linkFormSchema().safeParse({ ...EMPTY_LINK, target_url: "https://e.com/", rules: [rule({}, { target: "ftp://x" })], variants: [variant("x")] });
    expect(result.success).toBe(false);
    const paths = result.success ? [] : result.error.issues.map((issue) => issue.path.join("."));
    expect(paths).toEqual(["rules.0.target", "rules.0.conditions", "variants.root", "variants.0.weight"]);
  });
});

describe("the API's errors", () => {
  it("go under the rule's or variant's field, a list item's under its list", () => {
    const error = problem([
      { loc: ["body", "rules", 1, "conditions"], msg: "Value error, a rule needs at least one condition", type: "value_error" },
      { loc: ["body", "rules", 0, "conditions", "countries", 2], msg: "Value error, 'DEU' is not a country code", type: "value_error" },
      { loc: ["body", "variants", 1, "target"], msg: "variants[1].target: links to evil.example are not allowed", type: "blocked_domain" },
      { loc: ["body", "variants"], msg: "Value error, variants[1].name 'B' is already the name of variants[0]", type: "value_error" },
      { loc: ["body", "target_url"], msg: "only http:// and https:// URLs can be shortened", type: "scheme" },
    ]);
    expect(routingErrors(error)).toEqual([
      { path: "rules.1.conditions", message: "A rule needs at least one condition" },
      { path: "rules.0.conditions.countries", message: "'DEU' is not a country code" },
      { path: "variants.1.target", message: "Variants[1].target: links to evil.example are not allowed" },
      { path: "variants.root", message: "Variants[1].name 'B' is already the name of variants[0]" },
    ]);
    expect(routingErrors(new Error("network"))).toEqual([]);
  });

  it("count as placed, so the form does not repeat them above its buttons", () => {
    const only = problem([{ loc: ["body", "rules", 0, "target"], msg: "rules[0].target: links to evil.example are not allowed", type: "blocked_domain" }]);
    expect(linkFormErrors(only)).toEqual({ fields: {}, form: null });
  });
});

const LINK: Link = {
  code: "ab",
  domain: null,
  short_url: "https://hop.example/ab",
  target_url: "https://e.com/",
  destination_url: "https://e.com/",
  redirect_status: 302,
  expires_at: null,
  max_clicks: null,
  forward_query: false,
  disabled: false,
  title: null,
  tags: [],
  has_password: false,
  utm: { source: null, medium: null, campaign: null, term: null, content: null },
  preview: null,
  rules: null,
  variants: null,
  click_count: 0,
  human_clicks: 0,
  bot_clicks: 0,
  imported_clicks: 0,
  owner_id: 1,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};
