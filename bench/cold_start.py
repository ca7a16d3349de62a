"""`make bench-cold-start`: how soon a restarted edge serves at the pace of the no-I/O ceiling (a).

One run: seed 100,000 links as `make bench` does; prime the stores as a running edge leaves them
(an edge serves the Zipf traffic for a few seconds, then `hop worker --burst` rolls its clicks up
into click_rollups, the analytics an edge's cache warm-up reads); then, in alternating rounds,
(a) closed loop for its ceiling, and a fresh edge (empty local cache, Redis warm) driven closed
loop by wrk from the moment it reports ready. wrk counts responses per 0.1 s (lua/timeline.lua);
they are summed here into 1 s windows from wrk's first request.

Printed per cold start: its start-up time (spawn to ready), the first second whose throughput
reaches ``GOAL`` x (a) of its round, its throughput over seconds 0-10 as a fraction of (a), and
the fraction every second. ``--modes off,on`` starts the edge without and with its cache warm-up
(HOP_CACHE_WARMUP_LINKS=0, then the default), alternating, for a before/after in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import orjson

from bench.ceilings.dict_app import LINKS_FILE_ENV
from bench.ceilings.serve import start_ceiling
from bench.loadgen import Workload, run_wrk
from bench.sampling import Sampler
from bench.tools import ensure_tools
from bench.workload import write_workload
from common.db import connect_kwargs
from common.settings import Settings
from harness import seed
from harness.clicks import reset_streams
from harness.processes import Process, run_hop, start_edge
from harness.stores import drop_namespace, namespaced, stores_for

GOAL = 0.8  # issue 16, target 5: 0.8 x (a) within 10 s of a restart
WITHIN_S = 10
TIMELINE_SCRIPT = Path(__file__).with_name("lua") / "timeline.lua"
TIMELINE_MARKER = "BENCH_TIMELINE "
SLICE_S = 0.1  # wrk's counting slice; summed into 1 s windows here
SAMPLE_S = 0.05  # how often the server's CPU time is read
# HOP_CACHE_WARMUP_LINKS per mode; None: the edge's default.
MODES: dict[str, int | None] = {"off": 0, "on": None}
WARMUP_LOG = re.compile(r"cache warm-up: .*")


@dataclass(frozen=True)
class Plan:
    links: int = 100_000
    unknown_codes: int = 10_000
    zipf_s: float = 1.1
    unknown_fraction: float = 0.01
    connections: int = 64
    workers: int = 1
    prime_seconds: float = 5
    ceiling_seconds: float = 5
    seconds: float = 15
    rounds: int = 2
    modes: tuple[str, ...] = ("off", "on")


@dataclass
class Timeline:
    """Responses per 1 s window, counted from wrk's first request (``start``, a Unix time), and the
    CPU the server's processes used in each window, when it was sampled."""

    start: float
    per_second: list[int]
    cpu_per_second: list[float] = field(default_factory=list)

    def rps(self, start: int = 0, end: int | None = None) -> float:
        window = self.per_second[start:end]
        return sum(window) / len(window) if window else 0.0

    def cpu_us_per_request(self, start: int = 0, end: int | None = None) -> float | None:
        requests = sum(self.per_second[start:end])
        cpu = sum(self.cpu_per_second[start:end])
        return cpu / requests * 1e6 if cpu and requests else None


class CpuSampler(Sampler[tuple[float, float]]):
    """A server's CPU seconds (its processes, from /proc) every ``SAMPLE_S``: (time.time(), seconds)."""

    def __init__(self, server: Process) -> None:
        super().__init__(lambda: (time.time(), server.cpu_seconds()), SAMPLE_S)

    def per_second(self, start: float, seconds: int) -> list[float]:
        """CPU seconds used in each 1 s window from ``start`` (the samples nearest each boundary)."""

        def at(moment: float) -> float:
            return min(self.samples, key=lambda sample: abs(sample[0] - moment))[1]

        return [at(start + second + 1) - at(start + second) for second in range(seconds)] if self.samples else []


@dataclass
class ColdStart:
    mode: str
    round: int
    startup_s: float  # spawn to ready (every worker logged it)
    ceiling_rps: float
    timeline: Timeline
    warmup: str = ""
    ceiling_cpu_us: float | None = None  # (a)'s CPU per request, in the same round
    ratios: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ratios = [count / self.ceiling_rps for count in self.timeline.per_second]

    @property
    def first_at_goal(self) -> int | None:
        return next((second for second, ratio in enumerate(self.ratios) if ratio >= GOAL), None)

    @property
    def ratio_within(self) -> float:
        return self.timeline.rps(0, WITHIN_S) / self.ceiling_rps

    @property
    def ratio_after(self) -> float:
        return self.timeline.rps(WITHIN_S) / self.ceiling_rps

    def cpu_ratio(self, start: int = 0, end: int | None = None) -> float | None:
        """(a)'s CPU per request over the edge's in these seconds: a CPU-efficiency ratio, which
        other load on the machine moves much less than throughput."""
        edge = self.timeline.cpu_us_per_request(start, end)
        return self.ceiling_cpu_us / edge if edge and self.ceiling_cpu_us else None


def run_timeline(server: Process, wrk: str, workload: Workload, *, seconds: float, connections: int) -> Timeline:
    """wrk closed loop (``connections``, one thread) on ``server`` from now: responses and CPU per second."""
    with CpuSampler(server) as cpu:
        timeline = _run_timeline(wrk, server.url, workload, seconds=seconds, connections=connections)
    timeline.cpu_per_second = cpu.per_second(timeline.start, len(timeline.per_second))
    return timeline


def _run_timeline(wrk: str, url: str, workload: Workload, *, seconds: float, connections: int) -> Timeline:
    origin = time.time()
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(TIMELINE_SCRIPT),
        url,
        "--",
        str(workload.codes_file),
        str(workload.unknown_file),
        str(workload.zipf_s),
        str(workload.unknown_fraction),
        f"{origin:.6f}",
        str(SLICE_S),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next((line for line in output.splitlines() if line.startswith(TIMELINE_MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no timeline:\n{output}")
    data = orjson.loads(line[len(TIMELINE_MARKER) :])
    first = float(data["first_request"])
    windows = [0] * max(1, round(seconds))
    for index, count in data["slices"]:
        second = int((index * SLICE_S - first) // 1)
        if 0 <= second < len(windows):
            windows[second] += count
    return Timeline(origin + first, windows)


class ColdStartBench:
    def __init__(self, plan: Plan, settings: Settings, work: Path, wrk: str) -> None:
        self.plan = plan
        self.settings = settings
        self.work = work
        self.wrk = wrk
        self.workload: Workload | None = None
        self.runs: list[ColdStart] = []
        self.notes: list[str] = []

    def seed(self) -> None:
        codes = seed.make_codes(self.plan.links)
        started = time.monotonic()
        asyncio.run(seed.seed_links(self.settings, codes))
        log(f"seeded {len(codes):,} links in {time.monotonic() - started:.1f}s")
        links_file = self.work / "links.tsv"
        links_file.write_text("".join(f"{code}\t{seed.target_for(index)}\n" for index, code in enumerate(codes)))
        os.environ[LINKS_FILE_ENV] = str(links_file)  # for the ceiling (a), started from this process
        unknown = seed.make_unknown_codes(self.plan.unknown_codes)
        self.workload = write_workload(
            self.work, codes, unknown, zipf_s=self.plan.zipf_s, unknown_fraction=self.plan.unknown_fraction
        )

    def prime(self) -> None:
        """The stores as a running edge leaves them: its clicks rolled up into click_rollups."""
        assert self.workload is not None
        edge = start_edge(self.settings, workers=self.plan.workers, log_path=self.work / "edge-prime.log")
        try:
            result = run_wrk(
                self.wrk,
                edge.url,
                self.workload,
                seconds=self.plan.prime_seconds,
                connections=self.plan.connections,
                threads=1,
            )
        finally:
            edge.stop()  # SIGTERM: it flushes its clicks first
        started = time.monotonic()
        done = run_hop(self.settings, "worker", "--burst", timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"hop worker --burst failed:\n{done.stdout}\n{done.stderr}")
        links, clicks = asyncio.run(self.rollups())
        log(
            f"primed: an edge served {result.requests:,} requests in {self.plan.prime_seconds:g}s; the worker "
            f"rolled up {clicks:,} clicks over {links:,} links in {time.monotonic() - started:.1f}s"
        )
        reset_streams(self.settings)

    async def rollups(self) -> tuple[int, int]:
        conn = await asyncpg.connect(**connect_kwargs(self.settings))
        try:
            row = await conn.fetchrow(
                "SELECT count(DISTINCT link_id) AS links, sum(clicks) AS clicks FROM click_rollups"
            )
        finally:
            await conn.close()
        assert row is not None
        return int(row["links"]), int(row["clicks"] or 0)

    def cold_start(self, mode: str, round_: int, ceiling: Process) -> ColdStart:
        assert self.workload is not None
        a = run_timeline(
            ceiling, self.wrk, self.workload, seconds=self.plan.ceiling_seconds, connections=self.plan.connections
        )
        log_path = self.work / f"edge-{mode}-{round_}.log"
        spawned = time.monotonic()
        edge = start_edge(self.settings, workers=self.plan.workers, log_path=log_path, cache_warmup_links=MODES[mode])
        startup = time.monotonic() - spawned
        try:
            timeline = run_timeline(
                edge, self.wrk, self.workload, seconds=self.plan.seconds, connections=self.plan.connections
            )
        finally:
            edge.stop()
        reset_streams(self.settings)
        warmup = "; ".join(match.group(0) for match in WARMUP_LOG.finditer(edge.log()))
        run = ColdStart(mode, round_, startup, a.rps(), timeline, warmup, ceiling_cpu_us=a.cpu_us_per_request())
        log(
            f"round {round_} warm-up {mode}: start-up {startup:.2f}s, (a) {run.ceiling_rps:,.0f} req/s; "
            f"first second at >= {GOAL} x (a): {describe_second(run.first_at_goal)}; "
            f"0-{WITHIN_S} s: {run.ratio_within:.2f} of (a); after: {run.ratio_after:.2f}; CPU ratio "
            f"second 0 {fmt(run.cpu_ratio(0, 1))}, 0-{WITHIN_S} s {fmt(run.cpu_ratio(0, WITHIN_S))}, "
            f"after {fmt(run.cpu_ratio(WITHIN_S))}" + (f" [{warmup}]" if warmup else "")
        )
        return run

    def run(self) -> None:
        ceiling = start_ceiling("dict", self.settings, workers=self.plan.workers, log_path=self.work / "a.log")
        try:
            for round_ in range(1, self.plan.rounds + 1):
                for mode in self.plan.modes:
                    self.runs.append(self.cold_start(mode, round_, ceiling))
        finally:
            ceiling.stop()

    def report(self) -> str:
        lines = [
            f"cold start, {self.plan.workers} worker(s), wrk {self.plan.connections} connections, Zipf "
            f"{self.plan.zipf_s} over {self.plan.links:,} links + {self.plan.unknown_fraction:.0%} unknown; "
            f"each run's ratios are to (a) measured just before it",
            "",
            f"| warm-up | round | start-up s | first s at >= {GOAL} x (a) | 0-{WITHIN_S} s ÷ (a) | "
            f"{WITHIN_S}-{self.plan.seconds:g} s ÷ (a) | CPU ratio s 0 / 0-{WITHIN_S} / after | "
            "÷ (a) each second from the first request |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for run in self.runs:
            lines.append(
                f"| {run.mode} | {run.round} | {run.startup_s:.2f} | {describe_second(run.first_at_goal)} | "
                f"{run.ratio_within:.2f} | {run.ratio_after:.2f} | {fmt(run.cpu_ratio(0, 1))} / "
                f"{fmt(run.cpu_ratio(0, WITHIN_S))} / {fmt(run.cpu_ratio(WITHIN_S))} | "
                f"{' '.join(f'{r:.2f}' for r in run.ratios)} |"
            )
        for mode in self.plan.modes:
            runs = [run for run in self.runs if run.mode == mode]
            if runs:
                firsts = [describe_second(run.first_at_goal) for run in runs]
                lines.append(
                    f"  - warm-up {mode}: first second at >= {GOAL} x (a): {', '.join(firsts)}; mean ratio "
                    f"second 0 {mean(run.ratios[0] for run in runs)}, 0-{WITHIN_S} s "
                    f"{mean(run.ratio_within for run in runs)}, after {mean(run.ratio_after for run in runs)}; "
                    f"mean CPU ratio second 0 {mean(run.cpu_ratio(0, 1) for run in runs)}, 0-{WITHIN_S} s "
                    f"{mean(run.cpu_ratio(0, WITHIN_S) for run in runs)}, after "
                    f"{mean(run.cpu_ratio(WITHIN_S) for run in runs)}"
                )
        for run in self.runs:
            if run.warmup:
                lines.append(f"  - round {run.round} warm-up {run.mode}: {run.warmup}")
        lines.extend(f"  - {note}" for note in self.notes)
        return "\n".join(lines)


def fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def mean(values: Iterable[float | None]) -> str:
    known = [value for value in values if value is not None]
    return fmt(sum(known) / len(known) if known else None)


def describe_second(second: int | None) -> str:
    return "never" if second is None else f"{second}"


def log(message: str) -> None:
    print(f"bench.cold_start: {message}", flush=True)


def parse_args(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__)
    parser.add_argument("--links", type=int, default=Plan.links)
    parser.add_argument("--workers", type=int, default=Plan.workers)
    parser.add_argument("--connections", type=int, default=Plan.connections)
    parser.add_argument("--prime", type=float, default=Plan.prime_seconds, help="seconds of traffic rolled up first")
    parser.add_argument("--ceiling-seconds", type=float, default=Plan.ceiling_seconds)
    parser.add_argument("--seconds", type=float, default=Plan.seconds, help="seconds each fresh edge is driven")
    parser.add_argument("--rounds", type=int, default=Plan.rounds)
    parser.add_argument("--modes", default=",".join(Plan.modes), help="warm-up off and/or on, in this order")
    args = parser.parse_args(argv)
    modes = tuple(mode for mode in args.modes.split(",") if mode)
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        parser.error(f"unknown modes {unknown}: use {', '.join(MODES)}")
    return Plan(
        links=args.links,
        workers=args.workers,
        connections=args.connections,
        prime_seconds=args.prime,
        ceiling_seconds=args.ceiling_seconds,
        seconds=args.seconds,
        rounds=args.rounds,
        modes=modes,
    )


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_args(argv)
    wrk = ensure_tools()["wrk"]
    assert wrk is not None
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hop-cold-start-") as tmp, stores_for("HOP_BENCH", Path(tmp)) as urls:
        # All load comes from one address: the edge's per-address 404 budget would answer it 429.
        settings = namespaced(urls, tag="coldstart", log_level="INFO", edge_not_found_rate=0)
        try:
            bench = ColdStartBench(plan, settings, Path(tmp), wrk)
            bench.seed()
            bench.prime()
            bench.run()
        finally:
            asyncio.run(drop_namespace(settings))
        bench.notes.append(
            f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
        )
        print("\n" + bench.report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
