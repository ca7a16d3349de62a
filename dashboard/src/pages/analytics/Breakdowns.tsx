import { Download } from "lucide-react";
import { type ReactNode, Suspense, lazy } from "react";
import { Card } from "../../components/Card";
import { BarList } from "./BarList";
import { countryName } from "./countries";
import { saveText } from "../../lib/download";
import { breakdownToCsv, fileSlug } from "./csv";
import { hasRoutes, routeLabel } from "../links/routing";
import type { Analytics, RouteCount } from "./queries";
import { type ShareRow, shareRows } from "./shares";
import { Skeleton } from "./Skeleton";

// The map and its TopoJSON are a chunk of their own, fetched beside the page's rather than in it.
const WorldMap = lazy(() => import("./WorldMap"));

const unknown = (value: string | null) => value ?? "Unknown";
const capitalised = (value: string | null) => (value ? value.charAt(0).toUpperCase() + value.slice(1) : "Unknown");

/** An analytics answer; one link's carries the routes its clicks took. */
export type BreakdownData = Analytics & { routes?: RouteCount[] };

export function breakdownRows(data: BreakdownData) {
  const total = data.clicks;
  return {
    routes: shareRows(data.routes ?? [], total, (row) => ({ key: row.value, label: routeLabel(row.value) })),
    referrers: shareRows(data.referrers, total, (row) => ({ key: row.value ?? "", label: row.value ?? "Direct or unknown" })),
    countries: shareRows(data.countries, total, (row) => ({ key: row.value ?? "", label: countryName(row.value) })),
    cities: shareRows(data.cities, total, (row) => ({
      key: `${row.country ?? ""}|${row.city ?? ""}`,
      label: row.city || row.country ? `${row.city ?? "Unknown city"}, ${countryName(row.country)}` : "Unknown",
    })),
    browsers: shareRows(data.browsers, total, (row) => ({ key: row.value ?? "", label: unknown(row.value) })),
    os: shareRows(data.os, total, (row) => ({ key: row.value ?? "", label: unknown(row.value) })),
    devices: shareRows(data.devices, total, (row) => ({ key: row.value ?? "", label: capitalised(row.value) })),
  };
}

function BreakdownCard({ title, rows, fileLabel, children, className }: { title: string; rows: ShareRow[]; fileLabel: string; children?: ReactNode; className?: string }) {
  const download = (
    <button
      type="button"
      aria-label={`Download ${title.toLowerCase()} as CSV`}
      title="Download as CSV"
      disabled={rows.length === 0}
      onClick={() => saveText(breakdownToCsv(title.toLowerCase(), rows), `${fileSlug(title)}-${fileSlug(fileLabel)}.csv`)}
      className="rounded p-1 text-slate-500 hover:bg-slate-100 disabled:opacity-40 dark:text-slate-400 dark:hover:bg-slate-800"
    >
      <Download aria-hidden="true" className="h-4 w-4" />
    </button>
  );
  return (
    <Card title={title} actions={download} className={className}>
      {children}
      <BarList rows={rows} label={title} />
    </Card>
  );
}

/**
 * Where clicks came from and on what: referrers, countries (with the map), cities, browsers, OS, devices;
 * and for a link that is ``routed`` (or was, in the range) which of its rules and variants they took.
 */
export function Breakdowns({ data, fileLabel, routed = false }: { data: BreakdownData; fileLabel: string; routed?: boolean }) {
  const rows = breakdownRows(data);
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      {hasRoutes(data.routes, routed) && <BreakdownCard title="Routes" rows={rows.routes} fileLabel={fileLabel} className="lg:col-span-2" />}
      <BreakdownCard title="Countries" rows={rows.countries} fileLabel={fileLabel}>
        <Suspense fallback={<Skeleton className="mb-4 aspect-[2/1] w-full" />}>
          <WorldMap countries={data.countries} total={data.clicks} />
        </Suspense>
      </BreakdownCard>
      <BreakdownCard title="Referrers" rows={rows.referrers} fileLabel={fileLabel} />
      <BreakdownCard title="Cities" rows={rows.cities} fileLabel={fileLabel} />
      <BreakdownCard title="Browsers" rows={rows.browsers} fileLabel={fileLabel} />
      <BreakdownCard title="Operating systems" rows={rows.os} fileLabel={fileLabel} />
      <BreakdownCard title="Devices" rows={rows.devices} fileLabel={fileLabel} />
    </div>
  );
}
