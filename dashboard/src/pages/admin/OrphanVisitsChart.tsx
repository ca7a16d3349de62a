import { Table2 } from "lucide-react";
import { useId, useMemo, useState } from "react";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, type TooltipContentProps, XAxis, YAxis } from "recharts";
import { Button } from "../../components/Button";
import { Card } from "../../components/Card";
import { formatNumber } from "../../lib/format";
import { SERIES_MARGIN, countAxisProps, timeAxisProps, usePalette } from "../analytics/palette";
import type { Interval } from "../analytics/range";
import { type SeriesColumn, SeriesTable } from "../analytics/SeriesTable";
import { type OrphanPoint, type OrphanVisits, orphanPoints, orphanSummary } from "./orphans";

function PointTooltip({ active, payload }: Partial<TooltipContentProps<number, string>>) {
  const point: OrphanPoint | undefined = payload?.[0]?.payload;
  if (!active || !point) return null;
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-md dark:border-slate-700 dark:bg-slate-800 dark:text-slate-100">
      <p className="mb-1 font-semibold">{point.label}</p>
      <p>Orphan visits: {formatNumber(point.visits)}</p>
    </div>
  );
}

const VISITS: SeriesColumn<OrphanPoint>[] = [{ name: "Visits", value: (point) => point.visits }];

/** Orphan visits per local bucket of the range, bots included, with a table of the same numbers. */
export function OrphanVisitsChart({ data, interval }: { data: OrphanVisits; interval: Interval }) {
  const palette = usePalette();
  const [asTable, setAsTable] = useState(false);
  const tableId = useId();
  const summaryId = useId();
  const tz = data.range.tz;
  const points = useMemo(() => orphanPoints(data.series, interval, tz), [data.series, interval, tz]);
  const ticks = useMemo(() => new Map(points.map((point) => [point.start, point.tick])), [points]);
  const toggle = (
    <Button variant="secondary" className="px-2 py-1 text-xs" aria-expanded={asTable} aria-controls={tableId} onClick={() => setAsTable(!asTable)}>
      <Table2 aria-hidden="true" className="h-3.5 w-3.5" />
      {asTable ? "Hide table" : "Show as table"}
    </Button>
  );
  return (
    <Card title="Orphan visits over time" actions={toggle}>
      <figure aria-describedby={summaryId} className="m-0">
        <ResponsiveContainer width="100%" height={240}>
          <BarChart data={points} margin={SERIES_MARGIN} barCategoryGap="15%">
            <CartesianGrid vertical={false} stroke={palette.grid} />
            <XAxis {...timeAxisProps(palette, tz, ticks)} />
            <YAxis {...countAxisProps(palette, "Visits", formatNumber)} />
            <Tooltip cursor={{ fill: palette.grid, opacity: 0.5 }} content={<PointTooltip />} />
            <Bar dataKey="visits" name="Orphan visits" fill={palette.human} maxBarSize={48} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
        <figcaption id={summaryId} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          {orphanSummary(points, interval, formatNumber)} Bots included.
        </figcaption>
      </figure>
      <SeriesTable id={tableId} title="Orphan visits over time" points={points} columns={VISITS} hidden={!asTable} />
    </Card>
  );
}
