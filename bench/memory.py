"""`make bench-memory`: what the edge holds per cached link and per buffered click, and whether an
edge worker's RSS stays flat while it serves millions of distinct codes (issue 16, target 8).

1. Bytes per cached link: in a process of its own, codes seeded in Redis are resolved through the
   edge's Resolver (coalesced MGETs, ``_remember`` building each response) until its LocalCache
   holds 10,000 and 100,000 entries; tracemalloc counts what stays alive, RSS what it costs the
   process (bench/memory_probe.py).
2. Bytes per buffered click: ClickTracker.track fills a ClickBuffer of HOP_CLICK_BUFFER_MAX clicks
   from Granian-shaped scopes, with Redis unreachable; measured as recorded and after the flusher's
   refused XADD has packed them for the retry.
3. RSS over a walk of ``--codes`` distinct codes (2 million): links seeded (the records into Redis,
   then the rows into Postgres by COPY while 1 and 2 run), one edge worker (`hop edge`,
   harness/processes.py) driven by wrk with lua/walk.lua (each code once, in order: every request a
   local-cache miss), the worker's VmRSS read from /proc every second along with the edge's cache
   size from its metrics. Passes when the cache was full (HOP_CACHE_MAX_ENTRIES) by half-time and
   the least-squares RSS trend over the second half grows less than ``--growth-limit`` (5 %); exit
   status 1 otherwise. The largest one-second rise is printed too, and the trend without it: a
   one-off step (the allocator) and a steady climb (a leak) read differently there.

Runs in namespace ``memory`` (schema ns_memory, prefix ns:memory:), dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from pathlib import Path

import asyncpg
import orjson

from bench.loadgen import JSON_MARKER
from bench.memory_probe import VISITORS, WARMUP_CODES, Figure, probe_cache, probe_clicks, run_isolated
from bench.sampling import Sampler
from bench.tools import ensure_tools
from common.db import connect_kwargs
from common.metrics import sample_value
from common.records import RECORD_TTL_S, LinkRecord
from common.redis import create_redis, keys_for
from common.settings import Settings
from harness import seed
from harness.processes import Process, start_edge
from harness.stores import StoreUrls, create_namespace, delete_prefix, drop_namespace, namespaced, stores_for

TAG = "memory"
WALK_SCRIPT = Path(__file__).with_name("lua") / "walk.lua"
WALKED_MARKER = "BENCH_WALKED"
SET_CHUNK = 10_000  # SETs per script call: ~10 ms of Redis's time each
SET_SCRIPT = "for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1]) end"
SAMPLE_S = 1.0
FULL = 0.9  # the cache evicts a tenth when it overflows: it holds 90-100 % of its maximum once full
MIB = 1024 * 1024
PARTS = ("cache", "clicks", "rss")


def default(name: str) -> int:
    value = Settings.model_fields[name].default
    assert isinstance(value, int)
    return value


@dataclass(frozen=True)
class Plan:
    codes: int = 2_000_000
    cache_sizes: tuple[int, ...] = (10_000, 100_000)
    kinds: tuple[str, ...] = tuple(VISITORS)
    cache_max_entries: int = default("cache_max_entries")
    connections: int = 64
    max_seconds: float = 420
    growth_limit: float = 0.05
    parts: tuple[str, ...] = PARTS

    @property
    def seeded(self) -> int:
        probe = WARMUP_CODES + max(self.cache_sizes) if {"cache", "clicks"} & set(self.parts) else 0
        return max(probe, self.codes if "rss" in self.parts else 0)


# --- seeding: the rows and records harness/seed.py writes


@dataclass(frozen=True)
class Seeding:
    links: int
    codes_s: float
    records_s: float
    rows_s: float


async def seed_and_probe(
    plan: Plan, settings: Settings, urls: StoreUrls
) -> tuple[list[str], Seeding, dict[str, list[Figure]]]:
    """Seed both stores, and run the in-process probes while Postgres takes its COPY: they read Redis only."""
    started = time.monotonic()
    codes = seed.make_codes(plan.seeded)
    codes_s = time.monotonic() - started
    delete_prefix(settings)
    await create_namespace(settings)
    records_s = await set_records(settings, codes)
    rows = asyncio.create_task(copy_rows(settings, codes))
    figures = await asyncio.to_thread(probe_all, plan, urls, codes)
    return codes, Seeding(plan.seeded, codes_s, records_s, await rows), figures


async def copy_rows(settings: Settings, codes: list[str]) -> float:
    """harness/seed.py's COPY; returns its seconds."""
    started = time.monotonic()
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        rows = [(code, seed.target_for(index)) for index, code in enumerate(codes)]
        await conn.copy_records_to_table("links", records=rows, columns=["code", "target_url"])
        await conn.execute("ANALYZE links")
    finally:
        await conn.close()
    return time.monotonic() - started


async def set_records(settings: Settings, codes: list[str]) -> float:
    """harness/seed.py's SETs (same keys, records and TTL), a chunk per script call: redis-py's
    pipeline spends ~35 µs of Python per command, 70 s for 2 million; this takes 25-35 s."""
    started = time.monotonic()
    keys = keys_for(settings)
    client = create_redis(settings)
    try:
        for start in range(0, len(codes), SET_CHUNK):
            indexes = range(start, min(start + SET_CHUNK, len(codes)))
            names = [keys.link(codes[index]) for index in indexes]
            records = [LinkRecord(target=seed.target_for(index)).encode() for index in indexes]
            await client.eval(SET_SCRIPT, len(names), *names, RECORD_TTL_S, *records)
    finally:
        await client.aclose()
    return time.monotonic() - started


# --- in-process probes


def probe_all(plan: Plan, urls: StoreUrls, codes: list[str]) -> dict[str, list[Figure]]:
    """Figures per probe: "cache", then one per click kind; each probe in an interpreter of its own."""
    figures: dict[str, list[Figure]] = {}
    sample = codes[: WARMUP_CODES + max(plan.cache_sizes)]
    if "cache" in plan.parts:
        figures["cache"] = run_isolated(probe_cache, urls, TAG, sample, list(plan.cache_sizes))
        log("cache probe done")
    if "clicks" in plan.parts:
        for kind in plan.kinds:
            # The lines behind the figures, for the one kind the report shows them of.
            breakdown = kind == shown_kind(plan.kinds)
            figures[kind] = run_isolated(partial(probe_clicks, breakdown=breakdown), urls, TAG, sample, kind)
            log(f"click probe {kind} done")
    return figures


# --- RSS over the walk


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since wrk started
    rss: int  # the worker's VmRSS, bytes
    parent_rss: int  # Granian's main process
    cache_entries: float | None  # from the edge's metrics
    redirects: float | None


class RssSampler(Sampler[Sample]):
    """The edge worker's RSS and the edge's cache size and redirects, every ``SAMPLE_S``."""

    def __init__(self, edge: Process) -> None:
        super().__init__(self.sample, SAMPLE_S)
        self.edge = edge
        self.worker = only_child(edge.pid)

    def sample(self) -> Sample:
        at = time.monotonic() - self.started
        metrics = scrape(self.edge)
        if not metrics:  # a missed scrape leaves a gap in these columns, not in the RSS
            return Sample(at, vm_rss(self.worker), vm_rss(self.edge.pid), None, None)
        entries = sample_value(metrics, "hop_edge_cache_entries")
        redirects = sample_value(metrics, "hop_edge_responses_total", (("status", "302"),))
        return Sample(at, vm_rss(self.worker), vm_rss(self.edge.pid), entries, redirects)


def only_child(pid: int) -> int:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        pids = [int(child) for child in children.read().split()]
    if len(pids) != 1:
        raise RuntimeError(f"the edge ({pid}) has {len(pids)} worker processes, expected 1")
    return pids[0]


def vm_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def scrape(edge: Process) -> str:
    try:
        return edge.scrape()
    except OSError:
        return ""


@dataclass
class RssRun:
    codes: int
    max_entries: int
    growth_limit: float
    ready_rss: int  # the worker's, once it is ready, before any request
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)

    @property
    def full(self) -> Sample | None:
        """The first sample with the cache at ``FULL`` of its maximum."""
        return next((s for s in self.samples if (s.cache_entries or 0) >= FULL * self.max_entries), None)

    @property
    def second_half(self) -> list[Sample]:
        return [s for s in self.samples if s.at >= self.seconds / 2]

    def trend(self, *, without_largest_rise: bool = False) -> tuple[float, float]:
        """Least-squares RSS slope over the second half (bytes/s), and its growth over that half as a
        fraction of the fitted RSS at its start; optionally with the largest rise between two samples
        taken out (the later samples lowered by it), which tells a one-off step from a steady climb."""
        half = self.second_half
        rss = [float(s.rss) for s in half]
        if without_largest_rise:
            rise, at = self.largest_rise()
            rss = [value - rise if sample.at >= at.at else value for value, sample in zip(rss, half, strict=True)]
        fit = statistics.linear_regression([s.at for s in half], rss)
        start = fit.intercept + fit.slope * half[0].at
        return fit.slope, fit.slope * (half[-1].at - half[0].at) / start

    def largest_rise(self) -> tuple[int, Sample]:
        """The largest RSS rise between two consecutive samples of the second half, and the later sample."""
        rises = ((after.rss - before.rss, after) for before, after in pairwise(self.second_half))
        return max(rises, key=lambda rise: rise[0])

    def verdict(self) -> tuple[bool, str]:
        if len(self.second_half) < 10:
            return False, "too few samples in the second half to judge (a longer run is needed)"
        full = self.full
        if full is None or full.at > self.seconds / 2:
            return False, "the cache was not full by half-time: walk more codes, or lower --cache-max-entries"
        growth = self.trend()[1]
        if growth >= self.growth_limit:
            return False, f"RSS grew {growth:.1%} over the second half (limit {self.growth_limit:.0%})"
        return True, f"RSS flat: {growth:+.1%} over the second half (limit {self.growth_limit:.0%})"


@dataclass(frozen=True)
class WalkResult:
    requests: int
    seconds: float
    statuses: dict[int, int]


def walk(plan: Plan, settings: Settings, codes: list[str], work: Path, wrk: str) -> RssRun:
    codes_file = work / "walk.txt"
    codes_file.write_text("".join(f"{code}\n" for code in codes[: plan.codes]))
    edge = start_edge(settings, log_path=work / "edge.log", workers=1, metrics=True)
    try:
        run = RssRun(plan.codes, settings.cache_max_entries, plan.growth_limit, vm_rss(only_child(edge.pid)))
        with RssSampler(edge) as sampler:
            result = run_walk(wrk, edge.url, codes_file, connections=plan.connections, max_seconds=plan.max_seconds)
    finally:
        edge.stop()
    run.requests, run.seconds, run.statuses = result.requests, result.seconds, result.statuses
    run.samples = [s for s in sampler.samples if s.at <= result.seconds + SAMPLE_S]
    return run


def run_walk(wrk: str, url: str, codes_file: Path, *, connections: int, max_seconds: float) -> WalkResult:
    command = [wrk, "-t1", f"-c{connections}", f"-d{round(max_seconds)}s", "--timeout", "5s"]
    command += ["-s", str(WALK_SCRIPT), url, "--", str(codes_file)]
    output: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith(WALKED_MARKER):
                # wrk waits out its -d even when its thread has stopped: SIGINT ends it now, with its report.
                process.send_signal(signal.SIGINT)
        if process.wait() != 0:
            raise RuntimeError(f"wrk exited with {process.returncode}:\n{''.join(output)}")
    result = next((line for line in output if line.startswith(JSON_MARKER)), None)
    if result is None:
        raise RuntimeError(f"wrk printed no result:\n{''.join(output)}")
    data = orjson.loads(result[len(JSON_MARKER) :])
    statuses = {int(status): int(count) for status, count in data["statuses"].items()}
    return WalkResult(int(data["requests"]), data["duration_us"] / 1e6, statuses)


# --- the report


def mib(value: float) -> str:
    return f"{value / MIB:,.1f}"


def report_seeding(seeding: Seeding) -> list[str]:
    return [
        f"seeded {seeding.links:,} links: codes drawn in {seeding.codes_s:.1f} s, Redis SETs "
        f"{seeding.records_s:.1f} s, then Postgres COPY + ANALYZE {seeding.rows_s:.1f} s "
        "(the in-process probes ran meanwhile)",
    ]


def report_parts(figure: Figure, what: str) -> list[str]:
    lines = [f"  what each of {figure.items:,} {what} holds:"]
    for part in figure.parts:
        objects = f" in {part.objects_per_item:.2f} objects" if part.objects_per_item else ""
        lines.append(f"  - {part.bytes_per_item:6.1f} B{objects}: {part.label}")
    return lines


def report_cache(figures: list[Figure], max_entries: int) -> list[str]:
    largest = figures[-1]
    lines = [
        "## Bytes per cached link (LocalCache: code -> (expiry, prebuilt Redirect), via Resolver.fetch from Redis)",
        "",
        "| entries | traced B/entry | RSS B/entry |",
        "|---|---|---|",
    ]
    lines += [f"| {f.items:,} | {f.traced_per_item:,.0f} | {f.rss_per_item:,.0f} |" for f in figures]
    lines += [
        "",
        f"  a full cache (HOP_CACHE_MAX_ENTRIES = {max_entries:,}) at {largest.traced_per_item:,.0f} B/entry: "
        f"{mib(max_entries * largest.traced_per_item)} MiB traced, {mib(max_entries * largest.rss_per_item)} MiB "
        "RSS per worker",
        *report_parts(largest, "entries (tracemalloc for the total; the response's objects by type)"),
    ]
    return lines


def report_clicks(figures: dict[str, list[Figure]], kinds: Sequence[str]) -> list[str]:
    limit = figures[kinds[0]][0].items
    lines = [
        f"## Bytes per buffered click (ClickTracker.track, Redis unreachable, HOP_CLICK_BUFFER_MAX = {limit:,})",
        "",
        "| click | traced B/click | after a refused flush | RSS B/click | full buffer, MiB (traced / RSS) |",
        "|---|---|---|---|---|",
    ]
    for kind in kinds:
        held, packed = figures[kind]
        lines.append(
            f"| {VISITORS[kind].name} | {held.traced_per_item:,.0f} | {packed.traced_per_item:,.0f} | "
            f"{packed.rss_per_item:,.0f} | {mib(limit * packed.traced_per_item)} / {mib(limit * packed.rss_per_item)} |"
        )
    lines.append("")
    shown = figures[shown_kind(kinds)][1]
    return lines + report_parts(shown, f"{shown_kind(kinds)} clicks (tracemalloc, by the line that allocated)")


def shown_kind(kinds: Sequence[str]) -> str:
    return "browser" if "browser" in kinds else kinds[0]


def report_rss(run: RssRun, rows: int = 12) -> list[str]:
    lines = [
        f"## Worker RSS over a walk of {run.codes:,} distinct codes (1 worker, HOP_CACHE_MAX_ENTRIES = "
        f"{run.max_entries:,})",
        "",
        "| s | redirects | req/s | cache entries | worker RSS MiB |",
        "|---|---|---|---|---|",
    ]
    step = max(1, len(run.samples) // rows)
    shown = run.samples[::step] + ([run.samples[-1]] if (len(run.samples) - 1) % step else [])
    previous: Sample | None = None
    for sample in shown:
        lines.append(
            f"| {sample.at:.0f} | {count(sample.redirects)} | {rate(previous, sample)} | "
            f"{count(sample.cache_entries)} | {mib(sample.rss)} |"
        )
        previous = sample
    return [*lines, "", *summarise_rss(run)]


def summarise_rss(run: RssRun) -> list[str]:
    peak = max(run.samples, key=lambda s: s.rss)
    full = run.full
    slope, growth = run.trend() if len(run.second_half) >= 2 else (0.0, 0.0)
    ok, reason = run.verdict()
    other = {status: n for status, n in run.statuses.items() if status != 302}
    return [
        f"  - {run.requests:,} requests in {run.seconds:.1f} s ({run.requests / run.seconds:,.0f}/s), "
        f"statuses other than 302: {other or 'none'}",
        f"  - worker RSS: {mib(run.ready_rss)} MiB when ready, {mib(run.samples[0].rss)} MiB at the first sample, "
        f"peak {mib(peak.rss)} MiB at {peak.at:.0f} s, {mib(run.samples[-1].rss)} MiB at the end; Granian's main "
        f"process {mib(run.samples[0].parent_rss)} -> {mib(run.samples[-1].parent_rss)} MiB",
        f"  - cache never at {FULL:.0%} of its maximum"
        if full is None
        else f"  - cache at >= {FULL:.0%} of its maximum from {full.at:.0f} s, worker RSS then {mib(full.rss)} MiB",
        f"  - second half ({run.seconds / 2:.0f}-{run.seconds:.0f} s): slope {slope * 60 / MIB:+.2f} MiB/min, "
        f"{growth:+.1%} over the half",
        *describe_rise(run),
        f"  - {'PASS' if ok else 'FAIL'}: {reason}",
    ]


def describe_rise(run: RssRun) -> list[str]:
    if len(run.second_half) < 3:
        return []
    rise, after = run.largest_rise()
    growth = run.trend(without_largest_rise=True)[1]
    return [
        f"  - its largest rise between two samples: {rise / MIB:+.1f} MiB at {after.at:.0f} s "
        f"({count(after.redirects)} redirects); without it the second half's trend is {growth:+.1%}"
    ]


def count(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f}"


def rate(previous: Sample | None, sample: Sample) -> str:
    if previous is None or previous.redirects is None or sample.redirects is None or sample.at <= previous.at:
        return ""
    return f"{(sample.redirects - previous.redirects) / (sample.at - previous.at):,.0f}"


# --- the command


def parse_args(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--codes", type=int, default=Plan.codes, help="distinct codes seeded and walked")
    parser.add_argument("--cache-sizes", default=",".join(map(str, Plan.cache_sizes)), help="entries measured")
    parser.add_argument("--kinds", default=",".join(Plan.kinds), help=f"clicks measured: {', '.join(VISITORS)}")
    parser.add_argument("--cache-max-entries", type=int, default=Plan.cache_max_entries, help="the walked edge's")
    parser.add_argument("--connections", type=int, default=Plan.connections)
    parser.add_argument("--max-seconds", type=float, default=Plan.max_seconds, help="the walk stops here at the latest")
    parser.add_argument("--growth-limit", type=float, default=Plan.growth_limit)
    parser.add_argument("--parts", default=",".join(PARTS), help="which measurements: cache, clicks, rss")
    args = parser.parse_args(argv)
    parts = tuple(part for part in args.parts.split(",") if part)
    kinds = tuple(kind for kind in args.kinds.split(",") if kind)
    if not parts or set(parts) - set(PARTS) or not kinds or set(kinds) - set(VISITORS):
        parser.error(f"--parts from {', '.join(PARTS)}; --kinds from {', '.join(VISITORS)}")
    return Plan(
        codes=args.codes,
        cache_sizes=tuple(sorted(int(size) for size in args.cache_sizes.split(","))),
        kinds=kinds,
        cache_max_entries=args.cache_max_entries,
        connections=args.connections,
        max_seconds=args.max_seconds,
        growth_limit=args.growth_limit,
        parts=parts,
    )


def log(message: str) -> None:
    print(f"bench.memory: {message}", flush=True)


def measure(plan: Plan, urls: StoreUrls, work: Path, wrk: str | None) -> tuple[list[str], RssRun | None]:
    """Seed, probe, walk; the report's sections, and the walk."""
    # All load comes from one address: the edge's per-address 404 budget must not answer it.
    settings = namespaced(
        urls, tag=TAG, log_level="INFO", edge_not_found_rate=0, cache_max_entries=plan.cache_max_entries
    )
    try:
        codes, seeding, figures = asyncio.run(seed_and_probe(plan, settings, urls))
        lines = report_seeding(seeding)
        log(lines[0])
        run = None
        if wrk is not None:
            run = walk(plan, settings, codes, work, wrk)
            lines += ["", f"load average at the end of the walk: {os.getloadavg()[0]:.2f}"]
    finally:
        asyncio.run(drop_namespace(settings))
    if "cache" in figures:
        lines += ["", *report_cache(figures["cache"], default("cache_max_entries"))]
    if "clicks" in plan.parts:
        lines += ["", *report_clicks(figures, plan.kinds)]
    if run is not None:
        lines += ["", *report_rss(run)]
    return lines, run


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_args(argv)
    wrk = ensure_tools()["wrk"] if "rss" in plan.parts else None
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hop-memory-") as tmp, stores_for("HOP_BENCH", Path(tmp)) as urls:
        lines, run = measure(plan, urls, Path(tmp), wrk)
    lines.append(f"\nload average before {load_before:.2f}, after {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print("\n" + "\n".join(lines))
    return 0 if run is None or run.verdict()[0] else 1


if __name__ == "__main__":
    raise SystemExit(main())
