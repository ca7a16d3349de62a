import { Download, Table2 } from "lucide-react";
import { useId, useMemo, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, type TooltipContentProps, XAxis, YAxis } from "recharts";
import { Button } from "../../components/Button";
import { Card } from "../../components/Card";
import { formatNumber } from "../../lib/format";
import { saveText } from "../../lib/download";
import { fileSlug, seriesToCsv } from "./csv";
import { type Palette, SERIES_MARGIN, countAxisProps, timeAxisProps, usePalette } from "./palette";
import type { Analytics } from "./queries";
import type { Interval } from "./range";
import { type SeriesColumn, SeriesTable } from "./SeriesTable";
import { type ChartPoint, chartPoints, seriesSummary } from "./series";

function ChartTooltip({ active, payload, includeBots }: Partial<TooltipContentProps<number, string>> & { includeBots: boolean }) {
  const point: ChartPoint | undefined = payload?.[0]?.payload;
  if (!active || !point) return null;
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-md dark:border-slate-700 dark:bg-slate-800 dark:text-slate-100">
      <p className="mb-1 font-semibold">{point.label}</p>
      <p>Humans: {formatNumber(point.human)}</p>
      {includeBots && <p>Bots: {formatNumber(point.bot)}</p>}
      <p>Visitors: {formatNumber(point.visitors)}</p>
    </div>
  );
}

const HUMANS: SeriesColumn<ChartPoint> = { name: "Humans", value: (point) => point.human };
const BOTS: SeriesColumn<ChartPoint> = { name: "Bots", value: (point) => point.bot };
const VISITORS: SeriesColumn<ChartPoint> = { name: "Visitors", value: (point) => point.visitors };

function Chart({ points, includeBots, palette, tz }: { points: ChartPoint[]; includeBots: boolean; palette: Palette; tz: string }) {
  const ticks = useMemo(() => new Map(points.map((point) => [point.start, point.tick])), [points]);
  return (
    <ResponsiveContainer width="100%" height={280}>
      <BarChart data={points} margin={SERIES_MARGIN} barCategoryGap="15%">
        <CartesianGrid vertical={false} stroke={palette.grid} />
        <XAxis {...timeAxisProps(palette, tz, ticks)} />
        <YAxis {...countAxisProps(palette, "Clicks", formatNumber)} />
        <Tooltip cursor={{ fill: palette.grid, opacity: 0.5 }} content={<ChartTooltip includeBots={includeBots} />} />
        <Legend verticalAlign="top" height={28} itemSorter={null} wrapperStyle={{ fontSize: 12, color: palette.text }} />
        <Bar dataKey="human" name="Humans" stackId="clicks" fill={palette.human} maxBarSize={48} isAnimationActive={false} />
        {includeBots && <Bar dataKey="bot" name="Bots" stackId="clicks" fill={palette.bot} maxBarSize={48} isAnimationActive={false} />}
      </BarChart>
    </ResponsiveContainer>
  );
}

/** Clicks over time: stacked humans and (when included) bots, with a table and a CSV of the same numbers. */
export function ClicksChart({ data, interval, includeBots, fileLabel }: { data: Analytics; interval: Interval; includeBots: boolean; fileLabel: string }) {
  const palette = usePalette();
  const [asTable, setAsTable] = useState(false);
  const tableId = useId();
  const summaryId = useId();
  const points = useMemo(() => chartPoints(data.series, interval, data.range.tz), [data.series, interval, data.range.tz]);
  const summary = seriesSummary(points, interval, includeBots, formatNumber);
  const actions = (
    <div className="flex flex-wrap gap-2">
      <Button variant="secondary" className="px-2 py-1 text-xs" aria-expanded={asTable} aria-controls={tableId} onClick={() => setAsTable(!asTable)}>
        <Table2 aria-hidden="true" className="h-3.5 w-3.5" />
        {asTable ? "Hide table" : "Show as table"}
      </Button>
      <Button variant="secondary" className="px-2 py-1 text-xs" onClick={() => saveText(seriesToCsv(data.series), `clicks-over-time-${fileSlug(fileLabel)}.csv`)}>
        <Download aria-hidden="true" className="h-3.5 w-3.5" />
        Chart data (CSV)
      </Button>
    </div>
  );
  return (
    <Card title="Clicks over time" actions={actions}>
      <figure aria-describedby={summaryId} className="m-0">
        <Chart points={points} includeBots={includeBots} palette={palette} tz={data.range.tz} />
        <figcaption id={summaryId} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          {summary}
        </figcaption>
      </figure>
      <SeriesTable
        id={tableId}
        title="Clicks over time"
        points={points}
        columns={includeBots ? [HUMANS, BOTS, VISITORS] : [HUMANS, VISITORS]}
        hidden={!asTable}
      />
    </Card>
  );
}
