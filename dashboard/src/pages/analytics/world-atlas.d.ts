// world-atlas ships its TopoJSON without types; this is the shape of countries-110m.json.
declare module "world-atlas/countries-110m.json" {
  import type { GeometryCollection, Topology } from "topojson-specification";

  const countries110m: Topology<{
    countries: GeometryCollection<{ name: string }>;
    land: GeometryCollection;
  }>;
  export default countries110m;
}
