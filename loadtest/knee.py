"""The knee: the highest redirect rate at which p99 stays under 5 ms with no failures.

The search offers a rate per stage: it doubles from the promised rate until a stage misses, then
bisects between the highest rate that held and the lowest that did not, within a stage budget.
A miss is run once more before it counts, unless it was clear (p99 at least twice the limit on an
otherwise quiet machine): other work on a shared machine only ever adds latency, so a rate holds
when either of its runs held.
Each miss is judged: a load generator that could not send the offered rate, whose CPU was full, or
whose own event loop was late enough to account for the miss (Locust times its own queueing too)
limits the knee, not the edge; so does other work on this shared machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loadtest.stages import StageResult

PROMISED_PER_MINUTE = 10_000
SHORTFALL = 0.95  # achieved under this share of the offered rate: the offered rate was not tested
BUSY_CPU = 0.9  # a Locust process above this share of a core: its timings include its own queueing
SATURATED_EDGE_CPU = 0.9  # the edge (one worker) above this share of a core: it is the bottleneck
CONTENDED = 0.5  # half of all cores busy: Locust, the edge, Redis and Postgres often wait for a core
OTHER_WORK = 0.3  # this share of all cores busy with neither Locust nor the edge: other work disturbed the stage
MATERIAL_LAG_MS = 2.0  # an idle Locust loop wakes within 0.6 ms, which its whole-ms rounding shows as 1 ms


@dataclass(frozen=True)
class Search:
    start_per_s: float = 200.0  # the fixed run's 12,000 redirects/min
    p99_ms: float = 5.0
    max_stages: int = 10  # runs, retries included
    resolution: float = 0.1  # stop once the highest pass and lowest miss are within 10 %
    step_per_s: float = 10.0  # bisected rates are rounded to this, so reports read in round numbers


def generator_saturated(stage: StageResult) -> bool:
    """Locust could not send the offered rate, or its CPU was full."""
    shortfall = stage.achieved_per_s < SHORTFALL * stage.offered_per_s
    return shortfall or stage.locust_cpu >= BUSY_CPU or stage.locust_warned


def generator_late(stage: StageResult, search: Search) -> bool:
    """Locust's own delay explains the miss.

    Every time Locust measures includes how late its loop got to the response: when the p99 would
    hold without that much delay, or the loop alone is late by the limit, the miss cannot be laid
    at the edge's door.
    """
    if stage.p99_ms is None or stage.lag_p99_ms is None or stage.lag_p99_ms < MATERIAL_LAG_MS:
        return False
    return stage.lag_p99_ms >= search.p99_ms or stage.p99_ms - stage.lag_p99_ms < search.p99_ms


def miss(stage: StageResult, search: Search) -> str | None:
    """Why the stage does not hold the knee's promise; None when it does."""
    if stage.achieved_per_s < SHORTFALL * stage.offered_per_s:
        return f"Locust sent {stage.achieved_per_s:,.0f}/s of {stage.offered_per_s:,.0f}/s offered"
    if stage.failures:
        return f"{stage.failures:,} failed redirects"
    if stage.p99_ms is None or stage.p99_ms >= search.p99_ms:
        return f"p99 {_ms(stage.p99_ms)} (limit: under {search.p99_ms:g} ms)"
    return None


def verdicts(stages: Sequence[StageResult], search: Search) -> list[StageResult]:
    """One run per rate: one that held if any did, else the last."""
    by_rate: dict[float, StageResult] = {}
    for stage in stages:
        kept = by_rate.get(stage.offered_per_s)
        if kept is None or miss(kept, search) is not None:
            by_rate[stage.offered_per_s] = stage
    return list(by_rate.values())


def bracket(stages: Sequence[StageResult], search: Search) -> tuple[StageResult | None, StageResult | None]:
    """The highest rate that held below the lowest that missed, and that lowest miss.

    A hold above a miss is noise on a shared machine: the knee is the conservative one under the miss.
    """
    stages = verdicts(stages, search)
    misses = [stage for stage in stages if miss(stage, search) is not None]
    low_miss = min(misses, key=lambda stage: stage.offered_per_s, default=None)
    ceiling = low_miss.offered_per_s if low_miss else float("inf")
    holds = [stage for stage in stages if miss(stage, search) is None and stage.offered_per_s < ceiling]
    return max(holds, key=lambda stage: stage.offered_per_s, default=None), low_miss


def worth_rerun(stage: StageResult, search: Search) -> bool:
    """A miss that a pause of the machine's other work may have caused: it costs one more run."""
    if miss(stage, search) is None:
        return False
    clear = stage.p99_ms is not None and stage.p99_ms >= 2 * search.p99_ms and stage.failures == 0
    return not clear or stage.others_busy >= OTHER_WORK


def next_rate(stages: Sequence[StageResult], search: Search) -> float | None:
    """The rate for the next stage; None when the knee is bracketed finely enough or the budget is spent."""
    if len(stages) >= search.max_stages:
        return None
    if not stages:
        return search.start_per_s
    last = stages[-1]
    if worth_rerun(last, search) and [stage.offered_per_s for stage in stages].count(last.offered_per_s) == 1:
        return last.offered_per_s
    knee, above = bracket(stages, search)
    if above is None:
        return 2 * knee.offered_per_s if knee else search.start_per_s
    low = knee.offered_per_s if knee else 0.0
    if knee and above.offered_per_s <= low * (1 + search.resolution):
        return None
    rate = round((low + above.offered_per_s) / 2 / search.step_per_s) * search.step_per_s
    return rate if low < rate < above.offered_per_s else None


def find_knee(run_stage: Callable[[float], StageResult], search: Search) -> list[StageResult]:
    """Run stages until ``next_rate`` stops; ``run_stage`` offers one rate and measures it."""
    stages: list[StageResult] = []
    while (rate := next_rate(stages, search)) is not None:
        stages.append(run_stage(rate))
    return stages


def limit(stage: StageResult, search: Search) -> str:
    """What held back the stage that missed, from who was busy.

    Other work comes before Locust's lateness: a Locust that waits for a core others hold is late
    because of them.
    """
    locust = f"Locust at {stage.locust_cpu:.0%} of a core per process, its loop p99 {_ms(stage.lag_p99_ms)} late"
    cores = f"cores {stage.machine_busy:.0%} busy, {stage.others_busy:.0%} with neither Locust nor the edge"
    if generator_saturated(stage):
        return f"the load generator ({locust})"
    if stage.edge_cpu >= SATURATED_EDGE_CPU:
        return f"the edge (its worker at {stage.edge_cpu:.0%} of a core)"
    if stage.others_busy >= OTHER_WORK:
        return f"other work on the shared machine ({cores})"
    if generator_late(stage, search):
        return f"the load generator's own delay ({locust}, {cores})"
    if stage.machine_busy >= CONTENDED:
        return f"contention for the shared cores ({locust}, edge at {stage.edge_cpu:.0%} of a core, {cores})"
    return f"the edge's latency (edge at {stage.edge_cpu:.0%} of a core, {cores})"


def stage_line(stage: StageResult, search: Search, *, again: bool = False) -> str:
    verdict = (miss(stage, search) or "holds") + (" (run again)" if again else "")
    return (
        f"{stage.offered_per_s * 60:>9,.0f} {stage.achieved_per_s * 60:>9,.0f} {_ms(stage.p99_ms):>7} "
        f"{stage.failures:>5,} {_ms(stage.lag_p99_ms):>8} {stage.locust_cpu:>7.0%} {stage.edge_cpu:>5.0%} "
        f"{stage.machine_busy:>6.0%} {stage.others_busy:>7.0%}  {verdict}"
    )


def report(stages: Sequence[StageResult], search: Search) -> list[str]:
    """The stage table and the knee, in redirects per minute next to the promised 10,000."""
    header = (
        "  offered  achieved     p99 fails loop p99  Locust  edge  cores  others"
        "  (redirects/min; Locust: of a core per process; others: of all cores, Redis and Postgres included)"
    )
    rates = [stage.offered_per_s for stage in stages]
    lines = [stage_line(stage, search, again=stage.offered_per_s in rates[:n]) for n, stage in enumerate(stages)]
    return ["knee search, redirects only:", header, *lines, knee_line(stages, search)]


def knee_line(stages: Sequence[StageResult], search: Search) -> str:
    knee, above = bracket(stages, search)
    if knee is None:
        return f"knee: none found: no stage held p99 under {search.p99_ms:g} ms (promised: {PROMISED_PER_MINUTE:,} RPM)"
    per_minute = knee.achieved_per_s * 60
    line = (
        f"knee: {per_minute:,.0f} redirects/min ({knee.offered_per_s * 60:,.0f} offered) at p99 {_ms(knee.p99_ms)}, "
        f"{per_minute / PROMISED_PER_MINUTE:.1f}x the {PROMISED_PER_MINUTE:,} RPM promised"
    )
    if above is None:
        return f"{line}; a lower bound: the stage budget ran out before a rate missed"
    return f"{line}; limited by {limit(above, search)} at {above.offered_per_s * 60:,.0f}/min: {miss(above, search)}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g} ms"
