/**
 * Countries as the API names them (ISO 3166-1 alpha-2, e.g. "FR") and as the world map knows
 * them (world-atlas: ISO 3166-1 numeric ids such as "250"; a name where ISO has no code).
 */
import { alpha2ToNumeric } from "i18n-iso-countries";

/**
 * Map shapes without a numeric ISO id, keyed by the alpha-2 code visitors from there get.
 * (i18n-iso-countries gives Kosovo the user-assigned 983, which the map does not use.)
 */
const NAMED_SHAPES: Record<string, string> = { XK: "Kosovo" };

/** The key of a map shape: its numeric id, or `name:<name>` for the few that have none. */
export function shapeKey(id: string | number | undefined, name: string): string {
  return id === undefined ? `name:${name}` : String(id).padStart(3, "0");
}

/** The map shape key for an alpha-2 code, or null when the map has no shape for it (unknown, Tor "T1"). */
export function alpha2ToShapeKey(code: string | null | undefined): string | null {
  if (!code) return null;
  const upper = code.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(upper)) return null;
  const named = NAMED_SHAPES[upper];
  if (named) return shapeKey(undefined, named);
  const numeric = alpha2ToNumeric(upper);
  return numeric ? shapeKey(numeric, "") : null;
}

/** Clicks per map shape: codes mapping to one shape are added up, codes without one are left out. */
export function clicksByShape(rows: readonly { value: string | null; clicks: number }[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of rows) {
    const key = alpha2ToShapeKey(row.value);
    if (key) totals.set(key, (totals.get(key) ?? 0) + row.clicks);
  }
  return totals;
}

let regionNames: Intl.DisplayNames | null | undefined;

/** A country's name in the viewer's language ("France" for "FR"); the code itself if unknown. */
export function countryName(code: string | null | undefined, names: Intl.DisplayNames | null = defaultRegionNames()): string {
  if (!code) return "Unknown";
  const upper = code.toUpperCase();
  if (!/^[A-Z]{2}$/.test(upper) || !names) return upper;
  try {
    return names.of(upper) ?? upper;
  } catch {
    return upper;
  }
}

function defaultRegionNames(): Intl.DisplayNames | null {
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(undefined, { type: "region", fallback: "code" });
    } catch {
      regionNames = null;
    }
  }
  return regionNames;
}
