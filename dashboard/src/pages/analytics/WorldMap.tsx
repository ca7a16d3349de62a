/**
 * A world choropleth of clicks by country, drawn with d3-geo from world-atlas's 1:110m TopoJSON.
 * The TopoJSON is bundled into this lazily loaded chunk: the map works offline and asks no CDN.
 */
import { geoEqualEarth, geoPath } from "d3-geo";
import type { FeatureCollection, Geometry } from "geojson";
import { feature } from "topojson-client";
import countries110m from "world-atlas/countries-110m.json";
import { useId, useMemo } from "react";
import { formatNumber } from "../../lib/format";
import { alpha2ToShapeKey, countryName, shapeKey } from "./countries";
import { type Palette, stepIndex, usePalette } from "./palette";
import { formatShare, shareOf } from "./shares";

const WIDTH = 960;
const ANTARCTICA = "010"; // a wide white band that nobody clicks from

type Shape = { key: string; name: string; d: string };

let drawn: { shapes: Shape[]; height: number } | null = null;

/** The country outlines as SVG paths, projected once per page load. */
function shapes(): { shapes: Shape[]; height: number } {
  if (drawn) return drawn;
  const all = feature(countries110m, countries110m.objects.countries) as FeatureCollection<Geometry, { name: string }>;
  const visible: FeatureCollection<Geometry, { name: string }> = {
    type: "FeatureCollection",
    features: all.features.filter((country) => country.id !== ANTARCTICA),
  };
  const projection = geoEqualEarth().fitWidth(WIDTH, visible);
  const path = geoPath(projection);
  const height = Math.ceil(path.bounds(visible)[1][1]);
  drawn = {
    height,
    shapes: visible.features.map((country) => ({
      key: shapeKey(country.id, country.properties.name),
      name: country.properties.name,
      d: path(country) ?? "",
    })),
  };
  return drawn;
}

type CountryRow = { value: string | null; clicks: number };
type Shade = { clicks: number; label: string };

function shades(countries: readonly CountryRow[]): Map<string, Shade> {
  const byShape = new Map<string, Shade>();
  for (const row of countries) {
    const key = alpha2ToShapeKey(row.value);
    if (!key) continue;
    const known = byShape.get(key);
    byShape.set(key, { clicks: (known?.clicks ?? 0) + row.clicks, label: known?.label ?? countryName(row.value) });
  }
  return byShape;
}

function Legend({ palette }: { palette: Palette }) {
  return (
    <div aria-hidden="true" className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500 dark:text-slate-400">
      <span className="inline-flex items-center gap-1">
        <span className="inline-block h-3 w-3 rounded-sm" style={{ backgroundColor: palette.landEmpty }} />
        No clicks
      </span>
      <span className="inline-flex items-center gap-1">
        Fewer
        {palette.steps.map((colour) => (
          <span key={colour} className="inline-block h-3 w-4" style={{ backgroundColor: colour }} />
        ))}
        More
      </span>
    </div>
  );
}

export default function WorldMap({ countries, total }: { countries: readonly CountryRow[]; total: number }) {
  const palette = usePalette();
  const titleId = useId();
  const map = shapes();
  const byShape = useMemo(() => shades(countries), [countries]);
  const max = Math.max(0, ...[...byShape.values()].map((shade) => shade.clicks));
  const fill = (key: string) => {
    const step = stepIndex(byShape.get(key)?.clicks ?? 0, max, palette.steps.length);
    return step < 0 ? palette.landEmpty : (palette.steps[step] ?? palette.landEmpty);
  };
  return (
    <figure className="mb-4">
      <svg viewBox={`0 0 ${WIDTH} ${map.height}`} role="img" aria-labelledby={titleId} className="h-auto w-full">
        <title id={titleId}>World map shaded by clicks per country; the table below lists the numbers.</title>
        {map.shapes.map((shape) => {
          const shade = byShape.get(shape.key);
          return (
            <path key={shape.key} d={shape.d} fill={fill(shape.key)} stroke={palette.border} strokeWidth={0.5}>
              <title>{shade ? `${shade.label}: ${formatNumber(shade.clicks)} clicks (${formatShare(shareOf(shade.clicks, total))})` : `${shape.name}: no clicks`}</title>
            </path>
          );
        })}
      </svg>
      <Legend palette={palette} />
    </figure>
  );
}
