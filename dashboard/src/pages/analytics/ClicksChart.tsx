import { Download, Table2 } from "lucide-react";
import { useId, useMemo, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, type TooltipContentProps, XAxis, YAxis } from "recharts";
import { Button } from "../../components/Button";
import { Card } from "../../components/Card";
import { formatNumber } from "../../lib/format";
import { saveText } from "../../lib/download";
import { fileSlug, seriesToCsv } from "./csv";
import { type Palette, usePalette } from "./palette";
import type { Analytics } from "./queries";
import type { Interval } from "./range";
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

function SeriesTable({ id, points, includeBots, hidden }: { id: string; points: ChartPoint[]; includeBots: boolean; hidden: boolean }) {
  return (
    <div id={id} hidden={hidden} tabIndex={0} role="region" aria-label="Clicks over time as a table (scrollable)" className="mt-4 max-h-80 overflow-auto rounded-md border border-slate-200 dark:border-slate-800">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Clicks over time</caption>
        <thead className="sticky top-0 bg-slate-50 text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">
              Period
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              Humans
            </th>
            {includeBots && (
              <th scope="col" className="px-3 py-2 text-right font-medium">
                Bots
              </th>
            )}
            <th scope="col" className="px-3 py-2 text-right font-medium">
              Visitors
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 tabular-nums dark:divide-slate-800">
          {points.map((point) => (
            <tr key={point.start}>
              <th scope="row" className="px-3 py-1.5 font-normal whitespace-nowrap">
                {point.label}
              </th>
              <td className="px-3 py-1.5 text-right">{formatNumber(point.human)}</td>
              {includeBots && <td className="px-3 py-1.5 text-right">{formatNumber(point.bot)}</td>}
              <td className="px-3 py-1.5 text-right">{formatNumber(point.visitors)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Chart({ points, includeBots, palette, tz }: { points: ChartPoint[]; includeBots: boolean; palette: Palette; tz: string }) {
  const ticks = useMemo(() => new Map(points.map((point) => [point.start, point.tick])), [points]);
  const axisText = { fill: palette.text, fontSize: 12 };
  return (
    <ResponsiveContainer width="100%" height={280}>
      <BarChart data={points} margin={{ top: 8, right: 8, bottom: 24, left: 4 }} barCategoryGap="15%">
        <CartesianGrid vertical={false} stroke={palette.grid} />
        <XAxis
          dataKey="start"
          tickFormatter={(start: string) => ticks.get(start) ?? ""}
          tick={axisText}
          stroke={palette.axis}
          minTickGap={24}
          label={{ value: `Time (${tz})`, position: "bottom", offset: 6, fill: palette.text, fontSize: 12 }}
        />
        <YAxis
          allowDecimals={false}
          tickFormatter={(value: number) => formatNumber(value)}
          tick={axisText}
          stroke={palette.axis}
          width={48}
          label={{ value: "Clicks", angle: -90, position: "insideLeft", offset: 4, fill: palette.text, fontSize: 12 }}
        />
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
      <SeriesTable id={tableId} points={points} includeBots={includeBots} hidden={!asTable} />
    </Card>
  );
}
