"""`make bench`: the edge against its ceilings and the common design, in one run, on one table.

Order of one run: seed 100,000 links; then for 1 and then 2 Granian workers, start every target
at once, warm each up with wrk, run the open-loop rates (h2load), run the closed-loop rounds (wrk,
Zipf codes) alternating between targets, and stop them with SIGTERM. Every click the edge
captured (counted after its SIGTERM) must equal every redirect it sent (its own counters, warm-up
included). See NOTES.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import redis

from bench.baseline import Baseline, prepare
from bench.ceilings import nginx
from bench.ceilings.common_app import STREAM_SUFFIX
from bench.ceilings.dict_app import LINKS_FILE_ENV
from bench.ceilings.serve import start_ceiling
from bench.loadgen import LoadResult, Workload, run_h2load, run_wrk, write_urls
from bench.report import Row, text_table, write_results
from bench.tools import ensure_tools
from bench.workload import draw_paths, write_workload
from common.metrics import sample_value
from common.records import REDIRECT_STATUSES
from common.settings import Settings
from harness import seed
from harness.clicks import reset_streams, stream_clicks
from harness.processes import Process, free_port, start_edge
from harness.stores import drop_namespace, namespaced, stores_for

# The edge's performance targets (docs/performance.md): each is judged in every run, met or missed.
EDGE_RATIO_GOAL = 0.8  # closed loop, of (a), with 1 worker and with 2
CLOSED_P99_GOAL = 2.0  # closed-loop p99, times (a)'s
OPEN_P99_GOAL = 1.25  # open-loop p99 at the highest rate, times (a)'s
COMMON_RATIO_GOAL = 6.0  # closed loop, times (c), with 1 worker
ROUNDS = 2  # closed-loop rounds per target, alternating between targets
DICT, NGINX, COMMON, EDGE, BASELINE = "a", "b", "c", "edge", "baseline"
TARGETS = {
    DICT: "(a) Starlette + dict, no I/O",
    NGINX: "(b) nginx return 302, static map",
    COMMON: "(c) redis-py GET + XADD per request",
    EDGE: "edge (Hop)",
}
H2LOAD_URLS = 20_000  # draws per h2load URL list; each connection walks its process's list from the start
H2LOAD_PROCESSES = 4  # one URL list each, so four times as many distinct codes reach the server


@dataclass(frozen=True)
class Plan:
    links: int = 100_000
    unknown_codes: int = 10_000
    zipf_s: float = 1.1
    unknown_fraction: float = 0.01
    seconds: float = 10
    warmup: float = 3
    open_seconds: float = 8
    connections: int = 64
    threads: int = 1
    open_connections: int = 128
    rates: tuple[int, ...] = (5_000, 10_000)
    workers: tuple[int, ...] = (1, 2)
    baseline: str | None = None  # a revision whose edge runs beside this one (bench/baseline.py)


class Bench:
    def __init__(
        self,
        plan: Plan,
        settings: Settings,
        work: Path,
        tools: dict[str, str | None],
        baseline: Baseline | None = None,
    ):
        self.plan = plan
        self.settings = settings
        self.baseline = baseline
        self.targets = TARGETS | ({BASELINE: baseline.label} if baseline else {})
        self.work = work
        self.tools = tools
        self.redis = redis.Redis.from_url(str(settings.redis_url))
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.workload: Workload | None = None
        self.links: dict[str, str] = {}

    # --- set-up

    def seed(self) -> None:
        codes = seed.make_codes(self.plan.links)
        unknown = seed.make_unknown_codes(self.plan.unknown_codes)
        started = time.monotonic()

        asyncio.run(seed.seed_links(self.settings, codes))
        if self.baseline is not None:
            asyncio.run(seed.seed_links(self.baseline.settings, codes))
        log(f"seeded {len(codes):,} links in {time.monotonic() - started:.1f}s")
        self.links = {code: seed.target_for(index) for index, code in enumerate(codes)}
        links_file = self.work / "links.tsv"
        links_file.write_text("".join(f"{code}\t{target}\n" for code, target in self.links.items()))
        os.environ[LINKS_FILE_ENV] = str(links_file)  # for the ceiling (a), started from this process
        self.workload = write_workload(
            self.work, codes, unknown, zipf_s=self.plan.zipf_s, unknown_fraction=self.plan.unknown_fraction
        )

    # --- load

    def closed(self, url: str, seconds: float) -> LoadResult:
        assert self.workload is not None and self.tools["wrk"] is not None
        return run_wrk(
            self.tools["wrk"],
            url,
            self.workload,
            seconds=seconds,
            connections=self.plan.connections,
            threads=self.plan.threads,
        )

    def open_loop(self, server: Process, rates: tuple[int, ...], target: str, workers: int) -> None:
        h2load = self.tools["h2load"]
        if h2load is None or not rates:
            return
        assert self.workload is not None
        paths = draw_paths(self.workload, H2LOAD_URLS * H2LOAD_PROCESSES)
        urls = [
            write_urls(self.work / f"urls-{server.port}-{n}.txt", server.url, paths[n::H2LOAD_PROCESSES])
            for n in range(H2LOAD_PROCESSES)
        ]
        for rate in rates:
            result = run_h2load(
                h2load, urls, rate=rate, seconds=self.plan.open_seconds, connections=self.plan.open_connections
            )
            self.add(Row(target, workers, f"open, {result.target_rate:,}/s", result))

    def add(self, row: Row) -> None:
        self.rows.append(row)
        r = row.result
        log(
            f"{row.target} x{row.workers} [{row.load}]: {r.rps:,.0f} req/s, p50 {r.p50:.2f} ms, "
            f"p99 {r.p99:.2f} ms, errors {r.unexpected}"
        )

    # --- targets

    def start_targets(self, workers: int, first: bool) -> dict[str, Process]:
        """Every target of this worker count, running at once so their runs can alternate."""
        servers: dict[str, Process] = {}
        try:
            servers[DICT] = start_ceiling("dict", self.settings, workers=workers, log_path=self.log(f"a-{workers}"))
            servers[COMMON] = start_ceiling("common", self.settings, workers=workers, log_path=self.log(f"c-{workers}"))
            # With metrics: the redirects an edge sent are read from its own counters (redirects_sent).
            edge_log = self.log(f"edge-{workers}")
            servers[EDGE] = start_edge(self.settings, workers=workers, log_path=edge_log, metrics=True)
            if self.baseline is not None:
                servers[BASELINE] = start_edge(
                    self.baseline.settings,
                    workers=workers,
                    log_path=self.log(f"baseline-{workers}"),
                    source=self.baseline.source,
                    metrics=True,
                )
            if first:
                nginx_server = self.start_nginx()
                if nginx_server is not None:
                    servers[NGINX] = nginx_server
        except BaseException:
            for server in servers.values():
                server.stop()
            raise
        return servers

    def start_nginx(self) -> Process | None:
        binary = self.tools["nginx"]
        if binary is None:
            self.notes.append("(b) nginx not measured: nginx is not installed")
            return None
        port = free_port()
        conf = nginx.write_config(self.work / "nginx", port=port, workers=1, links=self.links)
        return nginx.start_nginx(binary, conf, port=port, log_path=self.log("b-nginx"))

    def log(self, name: str) -> Path:
        return self.work / f"{name}.log"

    def measure(self, workers: int, first: bool) -> dict[str, Row]:
        """Warm-up, open-loop runs, then closed-loop rounds that alternate between the targets.

        The machine is shared, so its speed drifts: alternating short rounds (a, edge, c, nginx,
        then again) puts each target's runs next to the others', and the ratios compare runs
        taken seconds apart rather than minutes apart.
        """
        servers = self.start_targets(workers, first)
        common_stream = f"{self.settings.redis_prefix}{STREAM_SUFFIX}"
        rounds: dict[str, list[LoadResult]] = {name: [] for name in servers}
        try:
            for server in servers.values():
                self.closed(server.url, self.plan.warmup)
            rates = self.plan.rates if first else self.plan.rates[-1:]
            self.open_loop(servers[DICT], rates if first else (), TARGETS[DICT], workers)
            for edge in self.edges(servers):
                self.open_loop(servers[edge], rates, self.targets[edge], workers)
            self.open_loop(servers[COMMON], self.plan.rates[:1] if first else (), TARGETS[COMMON], workers)
            # (c) counts its closed-loop clicks against wrk's: empty its stream once the warm-up's
            # and open loop's XADDs are in. The edges keep every click, warm-up traffic included.
            time.sleep(0.5)
            self.redis.delete(common_stream)
            for _ in range(ROUNDS):
                for name, server in servers.items():
                    cpu_before = server.cpu_seconds()
                    result = self.closed(server.url, self.plan.seconds / ROUNDS)
                    result.server_cpu_s = server.cpu_seconds() - cpu_before
                    rounds[name].append(result)
            sent = {edge: redirects_sent(servers[edge], self.settings.metrics_interval) for edge in self.edges(servers)}
        finally:
            # SIGTERM: an edge flushes its buffer before it exits; only then are its clicks counted.
            statuses = {edge: servers[edge].stop() for edge in self.edges(servers)}
            for server in servers.values():
                server.stop()
        for edge, status in statuses.items():
            if status != 0:
                self.notes.append(f"{self.targets[edge]} x{workers} exited with status {status}")
        rows = {
            name: Row(self.targets[name], workers, self.closed_label(), combine(results))
            for name, results in rounds.items()
        }
        for edge in self.edges(servers):
            rows[edge].clicks_captured = len(stream_clicks(self.namespace(edge)))
            rows[edge].clicks_served = sent[edge]
        rows[COMMON].clicks_captured = int(self.redis.xlen(common_stream))
        rows[COMMON].clicks_served = rows[COMMON].result.redirects
        self.reset_streams()
        self.redis.delete(common_stream)
        a, c = rows[DICT].result.rps, rows[COMMON].result.rps
        for name, row in rows.items():
            row.ratio_a = None if name == DICT else row.result.rps / a
            row.ratio_c = None if name == COMMON else row.result.rps / c
            self.add(row)
        return rows

    def edges(self, servers: dict[str, Process]) -> list[str]:
        """This revision's edge, and the baseline's when it runs."""
        return [name for name in (EDGE, BASELINE) if name in servers]

    def namespace(self, edge: str) -> Settings:
        return self.baseline.settings if edge == BASELINE and self.baseline is not None else self.settings

    def reset_streams(self) -> None:
        reset_streams(self.settings)
        if self.baseline is not None:
            reset_streams(self.baseline.settings)

    def closed_label(self) -> str:
        return f"closed, {self.plan.connections} conn, {ROUNDS}x{self.plan.seconds / ROUNDS:g}s"

    # --- the run

    def run(self) -> None:
        for workers in self.plan.workers:
            rows = self.measure(workers, first=workers == self.plan.workers[0])
            self.verdict(rows[EDGE], workers)
            if BASELINE in rows:
                self.compare(rows[EDGE], rows[BASELINE], workers)
        self.judge_targets()
        order = list(self.targets.values())
        # Per worker count: (a), (b), (c), edge; each closed loop first, then its open-loop rates.
        self.rows.sort(key=lambda row: (row.workers, order.index(row.target), row.result.target_rate or 0))

    def verdict(self, edge: Row, workers: int) -> None:
        assert edge.clicks_captured is not None and edge.clicks_served is not None and edge.ratio_a is not None
        captured, served = edge.clicks_captured, edge.clicks_served
        kept = captured == served
        a = self.closed_row(DICT, workers)
        if a is not None and edge.result.cpu_us_per_request and a.result.cpu_us_per_request:
            self.notes.append(
                f"edge x{workers}: its processes used {edge.result.cpu_us_per_request:.0f} µs of CPU per request, "
                f"(a)'s {a.result.cpu_us_per_request:.0f} µs: a CPU-efficiency ratio of "
                f"{a.result.cpu_us_per_request / edge.result.cpu_us_per_request:.2f}, less sensitive to other load"
            )
        self.notes.append(
            f"edge x{workers}: {edge.ratio_a:.2f} of (a), {edge.ratio_c or 0:.1f}x (c); clicks captured {captured:,} "
            f"for {served:,} redirects sent (warm-up included): " + ("every click kept" if kept else "MISMATCH")
        )
        if edge.result.unexpected:
            self.notes.append(f"edge x{workers}: {edge.result.unexpected} errors")

    def judge_targets(self) -> None:
        """One line per performance target this run measured: its figure, the goal, met or missed."""
        edge, a = self.closed_row(EDGE, 1), self.closed_row(DICT, 1)
        if edge is None or a is None or edge.ratio_a is None:
            return
        self.target(
            1, f"{edge.ratio_a:.2f} of (a) with 1 worker", edge.ratio_a >= EDGE_RATIO_GOAL, f">= {EDGE_RATIO_GOAL}"
        )
        closed = edge.result.p99 / a.result.p99
        self.target(2, f"closed-loop p99 {closed:.2f}x (a)'s", closed <= CLOSED_P99_GOAL, f"<= {CLOSED_P99_GOAL}x")
        opened = self.open_rows(1)
        if opened is not None:
            edge_open, a_open = opened
            ratio = edge_open.result.p99 / a_open.result.p99
            self.target(
                2,
                f"open loop at {edge_open.load.removeprefix('open, ')}: p99 {ratio:.2f}x (a)'s "
                f"(p99.9 {edge_open.result.p999:.2f} against {a_open.result.p999:.2f} ms)",
                ratio <= OPEN_P99_GOAL,
                f"<= {OPEN_P99_GOAL}x",
            )
        two = self.closed_row(EDGE, 2)
        if two is not None and two.ratio_a is not None:
            self.target(
                3, f"{two.ratio_a:.2f} of (a) with 2 workers", two.ratio_a >= EDGE_RATIO_GOAL, f">= {EDGE_RATIO_GOAL}"
            )
        if edge.ratio_c is not None:
            self.target(4, f"{edge.ratio_c:.2f}x (c)", edge.ratio_c >= COMMON_RATIO_GOAL, f">= {COMMON_RATIO_GOAL:g}x")

    def target(self, number: int, figure: str, met: bool, goal: str) -> None:
        self.notes.append(f"target {number}: {figure} (goal {goal}): {'met' if met else 'MISSED'}")

    def closed_row(self, key: str, workers: int) -> Row | None:
        label = self.closed_label()
        return next(
            (r for r in self.rows if r.target == TARGETS[key] and r.workers == workers and r.load == label), None
        )

    def open_rows(self, workers: int) -> tuple[Row, Row] | None:
        """The edge's and (a)'s open-loop rows at the highest rate both ran."""

        def at(key: str) -> dict[int, Row]:
            return {
                r.result.target_rate: r
                for r in self.rows
                if r.target == TARGETS[key] and r.workers == workers and r.result.target_rate is not None
            }

        edge, a = at(EDGE), at(DICT)
        shared = sorted(edge.keys() & a.keys())
        return (edge[shared[-1]], a[shared[-1]]) if shared else None

    def compare(self, edge: Row, baseline: Row, workers: int) -> None:
        """This revision's edge against the baseline's, in the same rounds: the before/after figure."""
        assert edge.clicks_captured is not None and baseline.clicks_captured is not None
        cpu = ""
        if edge.result.cpu_us_per_request and baseline.result.cpu_us_per_request:
            cpu = (
                f"; CPU per request {edge.result.cpu_us_per_request:.0f} µs against "
                f"{baseline.result.cpu_us_per_request:.0f} µs"
            )
        served = baseline.clicks_served or 0
        kept = baseline.clicks_captured == served
        self.notes.append(
            f"edge x{workers} against {baseline.target}: {edge.result.rps / baseline.result.rps:.2f} of its "
            f"closed-loop req/s{cpu}; the baseline captured {baseline.clicks_captured:,} clicks for {served:,} "
            + ("redirects (every click kept)" if kept else "redirects (MISMATCH)")
        )


def redirects_sent(edge: Process, export_interval: float) -> int:
    """Every redirect the edge sent since it started (warm-up, open and closed loop), from its own
    counters: exact, where wrk misses the requests in flight at its deadline.

    Each worker hands its counts to the metrics every ``export_interval``: once the load has
    stopped, two scrapes that far apart agree.
    """
    previous = -1
    for _ in range(10):
        current = _redirect_count(edge.scrape())
        if current == previous:
            return current
        previous = current
        time.sleep(export_interval + 0.2)
    raise RuntimeError(f"{edge.name}: its redirect count kept changing after the load stopped")


def _redirect_count(metrics: str) -> int:
    return sum(
        int(sample_value(metrics, "hop_edge_responses_total", (("status", str(status)),)))
        for status in REDIRECT_STATUSES
    )


def combine(results: list[LoadResult]) -> LoadResult:
    """One result from alternating rounds: counts add up; p50 is request-weighted, tails the worst round's."""
    requests = sum(r.requests for r in results)
    statuses: dict[int, int] = {}
    for r in results:
        for status, count in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return LoadResult(
        requests=requests,
        seconds=sum(r.seconds for r in results),
        statuses=statuses,
        errors=sum(r.errors for r in results),
        p50=sum(r.p50 * r.requests for r in results) / max(1, requests),
        p90=max(r.p90 for r in results),
        p99=max(r.p99 for r in results),
        p999=max(r.p999 for r in results),
        max=max(r.max for r in results),
        server_cpu_s=sum(r.server_cpu_s or 0.0 for r in results),
    )


def log(message: str) -> None:
    print(f"bench: {message}", flush=True)


def tool_version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=5, check=False)
    except OSError:
        return "?"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "?"


def meta(settings: Settings, plan: Plan, started: float, load_before: tuple[float, ...]) -> dict[str, object]:
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started, 1),
        "cpus": os.cpu_count(),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "python": platform.python_version(),
        "versions": {name: version(name) for name in ("granian", "starlette", "redis", "hiredis", "uvloop")},
        "wrk": tool_version(["wrk", "-v"]),
        "plan": plan.__dict__,
        "edge_settings": {
            name: getattr(settings, name)
            for name in ("cache_ttl", "negative_ttl", "click_flush_interval", "click_flush_size", "click_shards")
        },
    }


def parse_args(argv: list[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--links", type=int, default=Plan.links)
    parser.add_argument("--seconds", type=float, default=Plan.seconds, help="closed-loop run length")
    parser.add_argument("--warmup", type=float, default=Plan.warmup)
    parser.add_argument("--open-seconds", type=float, default=Plan.open_seconds)
    parser.add_argument("--connections", type=int, default=Plan.connections)
    parser.add_argument("--rates", default=",".join(map(str, Plan.rates)), help="open-loop rates, requests/s")
    parser.add_argument("--workers", default=",".join(map(str, Plan.workers)))
    parser.add_argument(
        "--baseline", metavar="REV", help="also run the edge of this git revision, in the same rounds (before/after)"
    )
    args = parser.parse_args(argv)
    return Plan(
        links=args.links,
        seconds=args.seconds,
        warmup=args.warmup,
        open_seconds=args.open_seconds,
        connections=args.connections,
        rates=tuple(int(r) for r in args.rates.split(",") if r),
        workers=tuple(int(w) for w in args.workers.split(",") if w),
        baseline=args.baseline,
    )


def with_stores(body: Callable[[Settings], None]) -> None:
    """Run ``body`` in the bench's own namespace (schema ``ns_bench``, prefix ``ns:bench:``), removed after."""
    with stores_for("HOP_BENCH", Path(tempfile.mkdtemp(prefix="hop-bench-stores-"))) as urls:
        # All load comes from one address: the edge's per-address 404 budget would answer it 429.
        settings = namespaced(urls, tag="bench", log_level="INFO", edge_not_found_rate=0)
        try:
            body(settings)
        finally:
            asyncio.run(drop_namespace(settings))


def main(argv: list[str] | None = None) -> int:
    plan = parse_args(argv)
    started = time.monotonic()
    load_before = os.getloadavg()
    tools = ensure_tools()

    def body(settings: Settings) -> None:
        with tempfile.TemporaryDirectory(prefix="hop-bench-") as tmp:
            baseline = prepare(plan.baseline, settings, Path(tmp)) if plan.baseline else None
            try:
                bench = Bench(plan, settings, Path(tmp), tools, baseline)
                bench.seed()
                bench.run()
            finally:
                if baseline is not None:
                    asyncio.run(drop_namespace(baseline.settings))
            bench.notes.append(
                f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs: "
                "absolute numbers move with other load; the ratios are taken within this run"
            )
            table = text_table(bench.rows)
            print("\n" + table + "\n")
            for note in bench.notes:
                print(f"  - {note}")
            path = write_results(bench.rows, meta=meta(settings, plan, started, load_before), notes=bench.notes)
            log(f"results written to {path} and {path.with_suffix('.json')} in {time.monotonic() - started:.0f}s")

    with_stores(body)
    return 0
