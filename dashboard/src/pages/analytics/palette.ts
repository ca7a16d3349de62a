/**
 * Colours for SVG drawn by script (the chart, the map), which Tailwind's `dark:` classes cannot
 * reach: picked from whether <html> has the `dark` class, and redrawn when it changes.
 */
import { useSyncExternalStore } from "react";

export type Palette = {
  human: string;
  bot: string;
  grid: string;
  axis: string;
  text: string;
  /** The map: countries without clicks, their borders, and the steps from few clicks to many. */
  landEmpty: string;
  border: string;
  steps: readonly string[];
};

// Tailwind's slate, indigo and amber; dark mode uses lighter strokes and the scale goes dark to light.
const LIGHT: Palette = {
  human: "#4f46e5",
  bot: "#f59e0b",
  grid: "#e2e8f0",
  axis: "#94a3b8",
  text: "#475569",
  landEmpty: "#e2e8f0",
  border: "#ffffff",
  steps: ["#e0e7ff", "#a5b4fc", "#818cf8", "#6366f1", "#4338ca"],
};

const DARK: Palette = {
  human: "#818cf8",
  bot: "#fbbf24",
  grid: "#334155",
  axis: "#64748b",
  text: "#cbd5e1",
  landEmpty: "#334155",
  border: "#0f172a",
  steps: ["#312e81", "#3730a3", "#4f46e5", "#818cf8", "#c7d2fe"],
};

function subscribe(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  return () => observer.disconnect();
}

const isDark = () => document.documentElement.classList.contains("dark");

export function usePalette(): Palette {
  return useSyncExternalStore(subscribe, isDark, () => false) ? DARK : LIGHT;
}

/** The colour step for `value` of `max`: a square-root scale, so a few big countries do not wash out the rest. */
export function stepIndex(value: number, max: number, steps: number): number {
  if (value <= 0 || max <= 0) return -1;
  return Math.min(steps - 1, Math.floor(Math.sqrt(value / max) * steps));
}

/** The margin of the time-series bar charts (clicks, orphan visits): room for the axis labels. */
export const SERIES_MARGIN = { top: 8, right: 8, bottom: 24, left: 4 } as const;

/** The props of a time-series bar chart's X axis: a point's local start as its tick, the zone named below. */
export function timeAxisProps(palette: Palette, tz: string, ticks: Map<string, string>) {
  return {
    dataKey: "start",
    tickFormatter: (start: string) => ticks.get(start) ?? "",
    tick: { fill: palette.text, fontSize: 12 },
    stroke: palette.axis,
    minTickGap: 24,
    label: { value: `Time (${tz})`, position: "bottom" as const, offset: 6, fill: palette.text, fontSize: 12 },
  };
}

/** The props of a time-series bar chart's Y axis: whole counts, named by ``label``. */
export function countAxisProps(palette: Palette, label: string, format: (value: number) => string) {
  return {
    allowDecimals: false,
    tickFormatter: format,
    tick: { fill: palette.text, fontSize: 12 },
    stroke: palette.axis,
    width: 48,
    label: { value: label, angle: -90, position: "insideLeft" as const, offset: 4, fill: palette.text, fontSize: 12 },
  };
}
