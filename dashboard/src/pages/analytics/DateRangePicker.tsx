import { useId } from "react";
import { Checkbox, SelectField, TextField } from "../../components/Field";
import {
  HOURLY_HINT,
  INTERVAL_LABELS,
  INTERVALS,
  MAX_HOURLY_DAYS,
  PRESET_LABELS,
  PRESETS,
  intervalAllowed,
  isInterval,
  rangeDays,
  withCustomDates,
  withPreset,
} from "./range";
import type { RangeState } from "./useRangeParams";

/**
 * Range preset, custom dates, interval and "include bots", all written to the URL. `bots={false}`
 * leaves out "include bots", for numbers that always count bots (orphan visits).
 */
export function DateRangePicker({ range, bots = true }: { range: RangeState; bots?: boolean }) {
  const { selection, problems, today, tz, change } = range;
  const datesErrorId = useId();
  const days = problems.dates ? 1 : rangeDays(selection.preset, selection.from, selection.to, today);
  const hourRefused = !intervalAllowed("hour", days);
  const intervalHint = problems.interval ?? (hourRefused ? HOURLY_HINT : undefined);
  const dateProps = (value: string) => ({
    type: "date",
    value,
    max: "9998-12-31",
    "aria-invalid": problems.dates ? true : undefined,
    "aria-describedby": problems.dates ? datesErrorId : undefined,
  });
  return (
    <form
      aria-label="Analytics filters"
      className="mb-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
      onSubmit={(event) => event.preventDefault()}
    >
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:flex lg:flex-wrap lg:items-start">
        <div className="lg:w-44">
          <SelectField
            label="Range"
            value={selection.preset}
            onChange={(event) => {
              const preset = PRESETS.find((value) => value === event.target.value);
              if (preset) change(withPreset(selection, preset, today));
            }}
          >
            {PRESETS.map((value) => (
              <option key={value} value={value}>
                {PRESET_LABELS[value]}
              </option>
            ))}
          </SelectField>
        </div>
        {selection.preset === "custom" && (
          <>
            <div className="lg:w-40">
              <TextField label="From" {...dateProps(selection.from)} onChange={(event) => change(withCustomDates(selection, event.target.value, selection.to, today))} />
            </div>
            <div className="lg:w-40">
              <TextField label="To" {...dateProps(selection.to)} min={selection.from || undefined} onChange={(event) => change(withCustomDates(selection, selection.from, event.target.value, today))} />
            </div>
          </>
        )}
        <div className="lg:w-52">
          <SelectField
            label="Interval"
            value={selection.interval}
            hint={intervalHint}
            onChange={(event) => {
              const interval = event.target.value;
              if (isInterval(interval)) change({ ...selection, interval, intervalIsDefault: false });
            }}
          >
            {INTERVALS.map((interval) => (
              <option key={interval} value={interval} disabled={!intervalAllowed(interval, days)}>
                {INTERVAL_LABELS[interval]}
                {interval === "hour" && hourRefused ? ` (up to ${MAX_HOURLY_DAYS} days)` : ""}
              </option>
            ))}
          </SelectField>
        </div>
        {bots && (
          <div className="self-center sm:col-span-2 lg:pt-6">
            <Checkbox
              label="Include bots"
              hint="Crawlers, link previews, scripts"
              checked={selection.includeBots}
              onChange={(event) => change({ ...selection, includeBots: event.target.checked })}
            />
          </div>
        )}
      </div>
      {problems.dates && (
        <p id={datesErrorId} role="alert" className="mt-3 text-sm text-red-600 dark:text-red-400">
          {problems.dates}
        </p>
      )}
      <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
        Dates and times in your time zone, <span className="font-medium">{tz}</span>.
      </p>
    </form>
  );
}
