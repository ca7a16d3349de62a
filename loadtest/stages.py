"""One stage of the knee search: Locust at one offered redirect rate against the running stack.

Each stage is a Locust run of its own (headless, redirects only), so its statistics start from
zero; its CSV gives the redirect figures, and CPU counters taken around it say who was busy.
"""

from __future__ import annotations

import csv
import math
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from loadtest.locust_cli import Run, run_locust
from loadtest.stack import Stack
from loadtest.thresholds import LAG_NAME, REDIRECT_NAME

PER_USER_RPS = 20.0  # the fixed run's per-user rate; a stage adds users, not speed per user
WARMUP_S = 3  # not counted: every user connects, the Locust processes warm up (a p99 of 14-19 ms there)
CPU_WARNING = "CPU usage above"  # Locust's own warning, per process, when it passed 90 % of a core
WORKER_CPU_WARNING = "exceeded cpu threshold"  # the same, reported by the master for a worker


@dataclass(frozen=True)
class StageResult:
    """What one stage measured. CPU figures are shares of one core over the stage's wall time."""

    offered_per_s: float
    achieved_per_s: float
    requests: int
    failures: int
    p99_ms: float | None  # Locust's, rounded to whole milliseconds below 100 ms
    lag_p99_ms: float | None  # Locust's own event loop: how late its greenlets wake (locustfile --loop-lag)
    locust_cpu: float  # per Locust process (the master's own share is small and counted in)
    edge_cpu: float
    machine_busy: float  # all cores: 1.0 = every core busy
    others_busy: float  # the share of all cores busy with neither Locust nor the edge (Redis and Postgres too)
    locust_warned: bool  # Locust said its CPU went above 90 % at some point


@dataclass(frozen=True)
class _Counters:
    wall: float
    children_cpu: float  # finished children only: each stage's Locust (and its forked workers) once reaped
    edge_cpu: float
    busy_ticks: int
    all_ticks: int

    @classmethod
    def now(cls, stack: Stack) -> _Counters:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy, total = _machine_ticks()
        return cls(time.monotonic(), usage.ru_utime + usage.ru_stime, stack.edge.cpu_seconds(), busy, total)


def _machine_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        ticks = [int(field) for field in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def stage_run(rate_per_s: float, *, seconds: int, processes: int) -> Run:
    """Redirects only: the admin traffic's password hashing is CPU taken from the edge, not redirect load."""
    users = max(1, math.ceil(rate_per_s / PER_USER_RPS))
    return Run(
        seconds=seconds,
        redirect_users=users,
        redirect_rps=rate_per_s / users,
        admin_users=0,
        p95_ms=0,
        p99_ms=0,
        min_per_minute=0,
        max_failures=0,
        processes=processes,
        loop_lag=True,
        warmup_s=WARMUP_S,
    )


def run_stage(
    stack: Stack, rate_per_s: float, *, seconds: int, processes: int, work_dir: Path, stem: str
) -> StageResult:
    before = _Counters.now(stack)
    result = run_locust(
        stack, stage_run(rate_per_s, seconds=seconds, processes=processes), report_dir=work_dir, stem=stem, html=False
    )
    after = _Counters.now(stack)
    stats_csv = work_dir / f"{stem}_stats.csv"
    if not stats_csv.exists():
        raise RuntimeError(f"Locust wrote no statistics (exit code {result.returncode}):\n{result.stderr[-4000:]}")
    row, lag = stats_row(stats_csv, REDIRECT_NAME), stats_row(stats_csv, LAG_NAME)
    locust_cores, edge_cores, machine_busy = _cpu(before, after)
    return StageResult(
        offered_per_s=rate_per_s,
        achieved_per_s=float(row["Requests/s"]),
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        p99_ms=_p99(row),
        lag_p99_ms=_p99(lag),
        locust_cpu=locust_cores / processes,
        edge_cpu=edge_cores,
        machine_busy=machine_busy,
        others_busy=max(0.0, machine_busy - (locust_cores + edge_cores) / (os.cpu_count() or 1)),
        locust_warned=CPU_WARNING in result.stderr or WORKER_CPU_WARNING in result.stderr,
    )


def _cpu(before: _Counters, after: _Counters) -> tuple[float, float, float]:
    """Cores used by Locust and by the edge, and the share of all cores busy, between two counters."""
    wall = after.wall - before.wall
    ticks = max(1, after.all_ticks - before.all_ticks)
    return (
        (after.children_cpu - before.children_cpu) / wall,
        (after.edge_cpu - before.edge_cpu) / wall,
        (after.busy_ticks - before.busy_ticks) / ticks,
    )


def stats_row(stats_csv: Path, name: str) -> dict[str, str]:
    """The line ``name`` of Locust's ``*_stats.csv`` (a zero line when there was no such request)."""
    with stats_csv.open(newline="") as file:
        for row in csv.DictReader(file):
            if row["Name"] == name:
                return row
    return {"Requests/s": "0", "Request Count": "0", "Failure Count": "0", "99%": "N/A"}


def _p99(row: dict[str, str]) -> float | None:
    return None if row["99%"] == "N/A" else float(row["99%"])
