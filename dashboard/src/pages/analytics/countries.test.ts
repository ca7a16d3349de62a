import countries110m from "world-atlas/countries-110m.json";
import { describe, expect, it } from "vitest";
import { alpha2ToShapeKey, clicksByShape, countryName, shapeKey } from "./countries";

describe("alpha-2 codes to map shapes", () => {
  it("maps codes to world-atlas's numeric ids, zero-padded", () => {
    expect(alpha2ToShapeKey("FR")).toBe("250");
    expect(alpha2ToShapeKey("US")).toBe("840");
    expect(alpha2ToShapeKey("AF")).toBe("004");
    expect(alpha2ToShapeKey("de")).toBe("276");
  });

  it("maps Kosovo, which has no ISO number, to its named shape", () => {
    expect(alpha2ToShapeKey("XK")).toBe("name:Kosovo");
  });

  it("has no shape for unknown, Tor or malformed codes", () => {
    expect(alpha2ToShapeKey(null)).toBeNull();
    expect(alpha2ToShapeKey("")).toBeNull();
    expect(alpha2ToShapeKey("T1")).toBeNull();
    expect(alpha2ToShapeKey("ZZ")).toBeNull();
    expect(alpha2ToShapeKey("FRA")).toBeNull();
  });

  it("reaches every country shape on the bundled map from some code", () => {
    const keys = countries110m.objects.countries.geometries.map((shape) => shapeKey(shape.id, shape.properties && "name" in shape.properties ? shape.properties.name : ""));
    const reachable = new Set(["name:Kosovo"]);
    for (let first = 65; first <= 90; first++) {
      for (let second = 65; second <= 90; second++) {
        const key = alpha2ToShapeKey(String.fromCharCode(first, second));
        if (key) reachable.add(key);
      }
    }
    // Northern Cyprus and Somaliland have no code of their own: their visitors get CY and SO.
    const unreachable = keys.filter((key) => !reachable.has(key));
    expect(unreachable.sort()).toEqual(["name:N. Cyprus", "name:Somaliland"]);
  });

  it("adds up clicks per shape and leaves out what the map cannot show", () => {
    const totals = clicksByShape([
      { value: "FR", clicks: 5 },
      { value: "fr", clicks: 2 },
      { value: "T1", clicks: 9 },
      { value: null, clicks: 4 },
    ]);
    expect([...totals]).toEqual([["250", 7]]);
  });
});

describe("country names", () => {
  const english = new Intl.DisplayNames("en", { type: "region", fallback: "code" });

  it("names a country in the viewer's language, or shows what it got", () => {
    expect(countryName("FR", english)).toBe("France");
    expect(countryName("de", english)).toBe("Germany");
    expect(countryName(null, english)).toBe("Unknown");
    expect(countryName("T1", english)).toBe("T1");
    expect(countryName("FR", null)).toBe("FR");
  });
});
