/** The analytics range held in the URL's search params: read, checked and changed. */
import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";
import { viewerTimeZone } from "../../lib/format";
import { type ParsedRange, type RangeSelection, parseRangeParams, rangeParams } from "./range";
import { dateInZone } from "./zoned";

export type RangeState = ParsedRange & {
  tz: string;
  today: string;
  /** Replace the selection in the URL (the history entry is replaced: each tweak is no new "page"). */
  change(next: RangeSelection): void;
};

export function useRangeParams(): RangeState {
  const [params, setParams] = useSearchParams();
  const tz = useMemo(viewerTimeZone, []);
  const today = dateInZone(new Date(), tz);
  const parsed = useMemo(() => parseRangeParams(params, today), [params, today]);
  const change = useCallback(
    (next: RangeSelection) => setParams((current) => rangeParams(next, current), { replace: true }),
    [setParams],
  );
  return { ...parsed, tz, today, change };
}
