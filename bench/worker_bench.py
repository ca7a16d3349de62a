"""Worker throughput: seed the click streams with realistic packed batches, time one burst drain.

    .venv/bin/python -m bench.worker_bench [--clicks 200000] [--batch 100] [--links 1000] [--profile]
    .venv/bin/python -m bench.worker_bench --statements [--clicks 200000]

Uses the stores named by HOP_BENCH_REDIS_URL / HOP_BENCH_DATABASE_URL (else the local ones, else
embedded ones) with a throwaway schema and key prefix, runs `hop worker --burst` as a separate
process (one process, the unit that scales), and prints clicks/s with the CPU split between the
worker process and the Postgres backends serving it (sampled from /proc while it runs), which is
what tells where the time goes on a machine where both share the cores. The batch size mirrors
the edge: at 10,000 redirects/s with a 10 ms flush, each XADD carries about 100 clicks.

``--profile`` runs py-spy on the worker process for the whole drain and writes
bench/results/worker-profile.svg, worker-profile.txt (collapsed stacks) and
worker-profile-summary.txt. ``--statements`` applies the seeded clicks in this process instead,
in the worker's transactions (``worker.apply.apply_entries``, groups of at most
MAX_CLICKS_PER_TRANSACTION clicks), and prints what each statement of a transaction costs:
wall time and the Postgres backend's CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import asyncpg

from bench.profile import py_spy, summarize
from bench.report import RESULTS_DIR
from bench.synthetic import REFERRERS, VERSIONED_AGENTS, add_to_streams
from common.db import Connection, connect_kwargs
from common.records import Click
from common.redis import create_redis, keys_for
from common.settings import Settings
from harness.processes import hop_command, settings_env
from harness.stores import create_namespace, drop_namespace, namespaced, stores_for
from worker.apply import apply_entries
from worker.enrich import Enricher
from worker.entries import read_entry
from worker.partitions import Partitions, fail_expired
from worker.resources import open_worker_pool
from worker.worker import MAX_CLICKS_PER_TRANSACTION

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_EVERY_S = 0.1

COUNTRIES = ["US", "DE", "FR", "GB", "IN", "BR", "", "JP"]


def realistic_clicks(rng: random.Random, codes: list[str], count: int, now_ms: int) -> list[Click]:
    clicks: list[Click] = []
    for n in range(count):
        code = codes[min(int(rng.paretovariate(1.2)) - 1, len(codes) - 1)]
        ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        agent, referrer, country = rng.choice(VERSIONED_AGENTS), rng.choice(REFERRERS), rng.choice(COUNTRIES)
        clicks.append((now_ms - count + n, code, ip, agent, referrer, country))
    return clicks


async def seed(args: argparse.Namespace, settings: Settings) -> None:
    await create_namespace(settings)
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        await conn.executemany(
            "INSERT INTO links (code, target_url) VALUES ($1, $2)",
            [(f"b{n}", f"https://example.com/{n}") for n in range(args.links)],
        )
    finally:
        await conn.close()
    rng = random.Random(1)
    clicks = realistic_clicks(rng, [f"b{n}" for n in range(args.links)], args.clicks, time.time_ns() // 1_000_000)
    await add_to_streams(settings, clicks, "bench", per_entry=args.batch)


async def applied_clicks(settings: Settings) -> int:
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM clicks"))
    finally:
        await conn.close()


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` from /proc; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def local_ports(pid: int) -> set[int]:
    """The local TCP ports of ``pid``'s sockets (its connections to Postgres among them)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with_target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if with_target.startswith("socket:["):
                inodes.add(with_target[8:-1])
    except OSError:
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                for line in lines.readlines()[1:]:
                    parts = line.split()
                    if parts[9] in inodes:
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


@dataclass
class CpuSplit:
    """CPU seconds over a run: the worker process, the Postgres backends serving it, Postgres's
    auxiliary processes (WAL writer, checkpointer, background writer, autovacuum: they also serve
    other work on the machine)."""

    worker: float = 0.0
    backends: dict[int, tuple[float, float]] = field(default_factory=dict)  # pid -> (first, last)
    auxiliary: dict[int, tuple[float, float]] = field(default_factory=dict)

    @staticmethod
    def _spent(seen: dict[int, tuple[float, float]]) -> float:
        return sum(last - first for first, last in seen.values())

    @property
    def postgres(self) -> float:
        return self._spent(self.backends)

    @property
    def postgres_auxiliary(self) -> float:
        return self._spent(self.auxiliary)


def _sample(seen: dict[int, tuple[float, float]], pids: set[int], *, from_zero: bool) -> None:
    for pid in pids:
        now = cpu_seconds(pid)
        if now is not None:
            first = seen.get(pid, (0.0 if from_zero else now, now))[0]
            seen[pid] = (first, now)


async def run_worker(settings: Settings, log_path: Path, *, profile: bool) -> tuple[int, float, CpuSplit]:
    """Run `hop worker --burst` to completion; its exit status, wall seconds and CPU split."""
    split = CpuSplit()
    monitor = await asyncpg.connect(**connect_kwargs(settings))
    spies: list[subprocess.Popen[bytes]] = []
    try:
        aux_pids = {
            row["pid"]
            for row in await monitor.fetch("SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'")
        }
        _sample(split.auxiliary, aux_pids, from_zero=False)
        started = time.perf_counter()
        worker = _start(hop_command("worker", "--burst"), env=settings_env(settings), log_path=log_path)
        if profile:
            RESULTS_DIR.mkdir(exist_ok=True)
            for fmt, name in (("raw", "worker-profile.txt"), ("flamegraph", "worker-profile.svg")):
                # --nonblocking: sample without pausing the worker, so the profile slows it less.
                command = [py_spy(), "record", "--pid", str(worker.pid), "--nonblocking", "--rate", "250"]
                spies.append(_start([*command, "--format", fmt, "--output", str(RESULTS_DIR / name)]))
        backend_pids: set[int] = set()
        ticks = 0
        while True:
            ended = _reaped(worker)
            if ended is not None:
                status, split.worker = ended
                break
            if ticks % 5 == 0:  # the pool opens connections as it needs them
                ports = local_ports(worker.pid)
                rows = await monitor.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])", sorted(ports)
                )
                # A backend found later than its first query still counts from its start.
                new = {row["pid"] for row in rows} - backend_pids
                _sample(split.backends, new, from_zero=True)
                backend_pids |= new
            _sample(split.backends, backend_pids, from_zero=True)
            ticks += 1
            await asyncio.sleep(SAMPLE_EVERY_S)
        elapsed = time.perf_counter() - started
        _sample(split.auxiliary, aux_pids, from_zero=False)
    finally:
        await monitor.close()
        for spy in spies:
            await asyncio.to_thread(spy.wait, 120)
    return status, elapsed, split


def _start(
    command: list[str], *, env: dict[str, str] | None = None, log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    if log_path is None:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with log_path.open("wb") as log:
        return subprocess.Popen(command, env=env, stderr=log)


def _reaped(process: subprocess.Popen[bytes]) -> tuple[int, float] | None:
    """The exit status and CPU seconds of ``process`` once it has exited; None while it runs.

    os.wait4, not Popen.wait: the rusage of that one child (py-spy is a child too). Never blocks.
    """
    pid, code, usage = os.wait4(process.pid, os.WNOHANG)
    if not pid:
        return None
    process.returncode = status = os.waitstatus_to_exitcode(code)
    return status, usage.ru_utime + usage.ru_stime


async def time_statements(settings: Settings) -> None:
    """Apply the seeded streams in this process, in the worker's transactions, timing each statement."""
    timings = StatementTimings()
    enricher = Enricher(salt_secret=settings.visitor_salt_secret, store_full_ip=settings.store_full_ip)
    keys = keys_for(settings)
    redis = create_redis(settings)
    partitions = Partitions()
    try:
        async with open_worker_pool(settings) as pool:
            await pool.execute(
                "INSERT INTO stream_cursors (shard) SELECT generate_series(0, $1::int - 1) ON CONFLICT DO NOTHING",
                settings.click_shards,
            )
            for shard in range(settings.click_shards):
                cursor = "0-0"
                while True:
                    # The size of the groups the worker applies when there is a backlog (worker._groups).
                    items = await redis.xrange(keys.clicks_stream(shard), min=f"({cursor}", count=200)
                    if not items:
                        break
                    replies = cast(list[tuple[bytes, dict[bytes, bytes]]], items)
                    entries = [read_entry(stream_id, fields, enricher) for stream_id, fields in replies]
                    if sum(entry.size for entry in entries) > MAX_CLICKS_PER_TRANSACTION:
                        raise SystemExit("bench: --batch too large for --statements")
                    months = fail_expired(entries, retention_months=settings.click_retention_months)
                    await partitions.ensure(pool, months)
                    async with pool.acquire() as conn:
                        timed = TimedConnection(cast(Connection, conn), timings)
                        started = time.perf_counter()
                        applied = await apply_entries(
                            cast(Connection, timed), shard=shard, expected_cursor=cursor, entries=entries
                        )
                        timings.transaction(time.perf_counter() - started, clicks=applied.clicks)
                    cursor = applied.last_id
    finally:
        await redis.aclose()
    print(timings.report())


_TABLE = re.compile(r"\b(?:INTO|UPDATE|JOIN|FROM)\s+([a-z_]+)\b(?!\()")


def statement_label(sql: str) -> str:
    """The verb and the first table a statement names: "INSERT click_rollups", "SELECT stream_cursors"."""
    verb = sql.split(None, 1)[0].upper()
    tables = _TABLE.findall(sql)
    return f"{verb} {tables[0] if tables else '?'}"


class StatementTimings:
    """Wall and backend-CPU seconds per kind of statement, summed over the transactions."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.transactions = 0
        self.clicks = 0
        self.total = 0.0

    def add(self, label: str, wall: float, cpu: float) -> None:
        self.wall[label] += wall
        self.cpu[label] += cpu
        self.calls[label] += 1

    def transaction(self, seconds: float, *, clicks: int) -> None:
        self.transactions += 1
        self.clicks += clicks
        self.total += seconds

    def report(self) -> str:
        clicks = max(self.clicks, 1)
        in_statements = sum(self.wall.values())
        lines = [
            f"{self.transactions} transactions, {self.clicks} clicks ({self.clicks / max(self.transactions, 1):,.0f}"
            f" per transaction): {self.total:.2f} s = {1e6 * self.total / clicks:.1f} µs per click, of which"
            f" statements (wall) {1e6 * in_statements / clicks:.1f} µs and Python between them"
            f" {1e6 * (self.total - in_statements) / clicks:.1f} µs; backend CPU"
            f" {1e6 * sum(self.cpu.values()) / clicks:.1f} µs per click",
            f"{'statement':<38} {'calls':>6} {'wall µs/click':>14} {'backend CPU µs/click':>21} {'share':>6}",
        ]
        for label in sorted(self.wall, key=self.wall.__getitem__, reverse=True):
            lines.append(
                f"{label:<38} {self.calls[label]:>6} {1e6 * self.wall[label] / clicks:>14.2f}"
                f" {1e6 * self.cpu[label] / clicks:>21.2f} {100 * self.wall[label] / in_statements:>5.1f}%"
            )
        return "\n".join(lines)


class _TimedTransaction:
    def __init__(self, transaction: Any, timed: TimedConnection) -> None:
        self._transaction = transaction
        self._timed = timed

    async def __aenter__(self) -> None:
        await self._timed.timed("BEGIN", self._transaction.__aenter__)

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self._timed.timed("COMMIT", lambda: self._transaction.__aexit__(kind, error, traceback))


class TimedConnection:
    """Passes the calls apply_entries makes on to a connection, timing each statement: wall time,
    and the CPU its Postgres backend spent meanwhile (/proc, in clock ticks: summed over many
    statements, a fair split)."""

    def __init__(self, conn: Connection, timings: StatementTimings) -> None:
        self._conn = conn
        self._timings = timings
        self._backend = conn.get_server_pid()

    async def timed(self, label: str, call: Callable[[], Awaitable[Any]]) -> Any:
        cpu_before = cpu_seconds(self._backend) or 0.0
        started = time.perf_counter()
        result = await call()
        wall = time.perf_counter() - started
        self._timings.add(label, wall, (cpu_seconds(self._backend) or 0.0) - cpu_before)
        return result

    def transaction(self) -> _TimedTransaction:
        return _TimedTransaction(self._conn.transaction(), self)

    async def execute(self, sql: str, *args: Any) -> Any:
        return await self.timed(statement_label(sql), lambda: self._conn.execute(sql, *args))

    async def executemany(self, sql: str, args: Any) -> Any:
        return await self.timed(statement_label(sql), lambda: self._conn.executemany(sql, args))

    async def fetch(self, sql: str, *args: Any) -> Any:
        return await self.timed(statement_label(sql), lambda: self._conn.fetch(sql, *args))

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self.timed(statement_label(sql), lambda: self._conn.fetchval(sql, *args))

    async def copy_records_to_table(self, table: str, **kwargs: Any) -> Any:
        return await self.timed(f"COPY {table}", lambda: self._conn.copy_records_to_table(table, **kwargs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100, help="clicks per stream entry (per edge XADD)")
    parser.add_argument("--links", type=int, default=1_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--profile", action="store_true", help="py-spy the worker: bench/results/worker-profile.*")
    parser.add_argument(
        "--statements", action="store_true", help="apply in this process and time each statement of a transaction"
    )
    args = parser.parse_args()
    with stores_for("HOP_BENCH", Path(tempfile.mkdtemp(prefix="hop-worker-bench-"))) as urls:
        settings = namespaced(urls, click_shards=args.shards, log_level="WARNING", worker_metrics_port=0)
        asyncio.run(seed(args, settings))
        try:
            if args.statements:
                asyncio.run(time_statements(settings))
                return 0
            log_path = Path(tempfile.mkdtemp(prefix="hop-worker-bench-")) / "worker.log"
            status, elapsed, split = asyncio.run(run_worker(settings, log_path, profile=args.profile))
            applied = asyncio.run(applied_clicks(settings))
        finally:
            asyncio.run(drop_namespace(settings))
    if status != 0:
        print(log_path.read_text(errors="replace"), file=sys.stderr)
        return 1
    # Wall time depends on what else the machine runs; the CPU per click much less.
    per_click = 1e6 / max(applied, 1)
    cpu, pg, aux = split.worker, split.postgres, split.postgres_auxiliary
    print(
        f"worker: {applied} clicks in {elapsed:.2f} s = {applied / elapsed:,.0f} clicks/s wall, "
        f"{cpu:.2f} s worker CPU = {applied / cpu:,.0f} clicks per CPU-second, load average {os.getloadavg()[0]:.1f} "
        f"(one process, {args.batch} clicks per entry, {args.links} links, {args.shards} shards, incl. start-up)\n"
        f"CPU per click: worker {cpu * per_click:.1f} µs, its Postgres backends {pg * per_click:.1f} µs "
        f"({len(split.backends)} backends, {pg:.2f} s), Postgres auxiliary processes {aux * per_click:.1f} µs "
        f"({aux:.2f} s, shared with other work); worker + backends {(cpu + pg) / elapsed:.2f} of "
        f"{os.cpu_count()} cores busy"
    )
    if args.profile:
        summary = summarize(RESULTS_DIR / "worker-profile.txt", top=25)
        (RESULTS_DIR / "worker-profile-summary.txt").write_text(summary + "\n")
        print(summary)
    return 0 if applied == args.clicks else 1


if __name__ == "__main__":
    sys.exit(main())
