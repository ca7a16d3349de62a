"""The pass/fail rules of a load test run, checked on Locust's own statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only for the annotations: importing locust monkey-patches the standard library (gevent), and
    # loadtest/run.py, which reads REDIRECT_NAME, runs asyncio and subprocesses unpatched.
    from locust.stats import RequestStats, StatsEntry

REDIRECT_NAME = "GET /{code}"
LAG_NAME = "event loop lag"  # loadtest/locustfile.py's probe of Locust's own delay, with --loop-lag


@dataclass(frozen=True)
class Thresholds:
    p95_ms: float | None = 5.0
    p99_ms: float | None = 10.0
    min_per_minute: float | None = 10_000
    max_failures: int = 0


def check(stats: RequestStats, thresholds: Thresholds) -> list[str]:
    """Every broken rule as one line; empty when the run passes."""
    problems = []
    if stats.total.num_failures > thresholds.max_failures:
        problems.append(f"{stats.total.num_failures} failed requests (allowed: {thresholds.max_failures})")
    redirect: StatsEntry | None = stats.entries.get((REDIRECT_NAME, "GET"))
    if redirect is None or redirect.num_requests == 0:
        return [*problems, "no redirect requests were made"]
    for pct, limit in ((0.95, thresholds.p95_ms), (0.99, thresholds.p99_ms)):
        if limit is not None:
            value = redirect.get_response_time_percentile(pct)
            if value is not None and value >= limit:
                problems.append(f"redirect p{round(pct * 100)} {value:.0f} ms (limit: under {limit:g} ms)")
    if thresholds.min_per_minute is not None:
        per_minute = redirect.total_rps * 60
        if per_minute < thresholds.min_per_minute:
            problems.append(f"redirects {per_minute:,.0f}/min (needed: {thresholds.min_per_minute:,.0f}/min)")
    return problems
