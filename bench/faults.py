"""`make faults`: Redis, Postgres, worker and edge faults under load, against real processes.

    .venv/bin/python -m bench.faults [--only NAME ...] [--rate 500] [--seconds 12]

Each run gets its own namespace (schema and key prefix on the HOP_BENCH stores, see
harness.stores), and its own Valkey when the fault kills, pauses or flushes Redis. It starts a
real `hop edge` (Granian) and `hop worker`, sends redirects at a fixed rate while the fault
happens, stops the edge with SIGTERM (which flushes its buffer), waits for the worker to drain the
streams, and checks the run's promise against what Postgres counted. One row per run; exit
status 1 when any promise fails. What each promise means and why: docs/faults.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop
from redis.asyncio import Redis

from bench.fault_stage import Counts, Load, RedisKind, Stage, Tally, wait_for_drain
from common.redis import keys_for
from harness.seed import make_codes, seed_links
from harness.stores import StoreUrls, stores_for

CODES = 200
FAULT_AT = 1 / 3  # of the load: the single faults strike with traffic before and after them
REDIS_DOWN_S = 2.0
PAUSE_MS = 2_000
POSTGRES_CUT_S = 5.0
WORKER_KILLS = 5
WORKER_KILL_EVERY_S = 2.0

# --- the faults: each runs beside the load, from its start; blocking calls go to a thread


Act = Callable[[Stage, Load, float], Coroutine[Any, Any, None]]


async def redis_sigkill(stage: Stage, load: Load, seconds: float) -> None:
    await asyncio.sleep(seconds * FAULT_AT)
    await asyncio.to_thread(stage.private_redis.kill)
    await asyncio.sleep(REDIS_DOWN_S)
    await asyncio.to_thread(stage.private_redis.start)  # same port; durable: replays its append-only file


async def redis_flushall(stage: Stage, load: Load, seconds: float) -> None:
    started = asyncio.get_running_loop().time()
    client = Redis.from_url(stage.private_redis.url)
    try:
        second = 1
        while second <= seconds - 2:  # 10 flushes in a 12 s load, the last with traffic after it
            await asyncio.sleep(max(0.0, started + second - asyncio.get_running_loop().time()))
            await client.flushall()
            second += 1
    finally:
        await client.aclose()


async def redis_client_pause(stage: Stage, load: Load, seconds: float) -> None:
    await asyncio.sleep(seconds * FAULT_AT)
    client = Redis.from_url(stage.private_redis.url)
    try:
        await client.client_pause(PAUSE_MS, all=True)  # every command, reads too, as a stalled server
    finally:
        await client.aclose()


async def postgres_cut(stage: Stage, load: Load, seconds: float) -> None:
    assert stage.proxy is not None
    await asyncio.sleep(seconds * FAULT_AT)
    await asyncio.to_thread(stage.proxy.cut)
    await asyncio.sleep(POSTGRES_CUT_S)
    await asyncio.to_thread(stage.proxy.restore)


async def worker_sigkill_loop(stage: Stage, load: Load, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    for kill in range(WORKER_KILLS):
        at = 1 + kill * WORKER_KILL_EVERY_S
        if at > seconds - 1:
            break
        await asyncio.sleep(max(0.0, started + at - loop.time()))
        await asyncio.to_thread(stage.worker.kill)
        await asyncio.to_thread(stage.start_worker)


async def cluster_failover(stage: Stage, load: Load, seconds: float) -> None:
    """SIGKILL the primary holding shard 0's stream; its replica takes over after the node timeout."""
    await asyncio.sleep(seconds * FAULT_AT)
    cluster = stage.cluster
    victim = cluster.primary_for_key(keys_for(stage.settings).clicks_stream(0))
    await asyncio.to_thread(cluster.kill, victim)
    await asyncio.to_thread(cluster.wait_promoted, victim)


async def cluster_reshard(stage: Stage, load: Load, seconds: float) -> None:
    """Move the slots of shard 0's stream and of a hot link to another primary, keys and all."""
    await asyncio.sleep(seconds * FAULT_AT)
    cluster, keys = stage.cluster, keys_for(stage.settings)
    for key in (keys.clicks_stream(0), keys.link(load.codes[0])):
        slot = cluster.slot_of(key)
        target = next(node for node in cluster.primaries() if node is not cluster.owner_of(slot))
        await asyncio.to_thread(cluster.migrate_slot, slot, target)


async def edge_sigterm(stage: Stage, load: Load, seconds: float) -> None:
    await asyncio.sleep(seconds * FAULT_AT)
    await asyncio.to_thread(stage.edge.terminate)
    # Until the new edge listens, requests go to the old port and fail (counted as failed).
    load.target = (await asyncio.to_thread(stage.start_edge)).url


async def edge_sigkill(stage: Stage, load: Load, seconds: float) -> None:
    await asyncio.sleep(seconds * FAULT_AT)
    await asyncio.to_thread(stage.edge.kill)
    load.target = (await asyncio.to_thread(stage.start_edge)).url


# --- the promises


@dataclass(frozen=True)
class Outcome:
    tally: Tally
    counts: Counts
    flush_interval: float  # the edge's HOP_CLICK_FLUSH_INTERVAL

    @property
    def lost(self) -> int:
        return self.tally.served - self.counts.counted


Judge = Callable[[Outcome], tuple[str, bool]]


def exact(outcome: Outcome) -> tuple[str, bool]:
    return "exact", outcome.counts.counted == outcome.tally.served


def exact_without_gap(outcome: Outcome) -> tuple[str, bool]:
    return "exact, no gap", outcome.counts.counted == outcome.tally.served and outcome.counts.gaps == 0


def loss_recorded(outcome: Outcome) -> tuple[str, bool]:
    counted, served = outcome.counts.counted, outcome.tally.served
    return "any loss recorded as a gap", counted == served or (counted < served and outcome.counts.gaps > 0)


def loss_bounded(outcome: Outcome) -> tuple[str, bool]:
    # What a crashed edge can lose is what it buffered since its last flush: one interval's clicks,
    # doubled for the flush's own round trip. The rate is the one the client kept, which the edge
    # served while it was up (served / seconds would count its downtime as a slower rate).
    rate = outcome.tally.request_rate
    bound = rate * 2 * outcome.flush_interval
    return f"lost ≤ {bound:.1f} ({rate:.0f}/s × 2 × {outcome.flush_interval * 1000:g} ms)", outcome.lost <= bound


def and_none_failed(judge: Judge) -> Judge:
    """``judge``, and no redirect failed: the edge stays up, and invariant 1 says Redis is optional to it."""

    def judged(outcome: Outcome) -> tuple[str, bool]:
        phrase, holds = judge(outcome)
        return f"{phrase}, 0 failed", holds and outcome.tally.failed == 0

    return judged


@dataclass(frozen=True)
class Fault:
    name: str
    act: Act
    judge: Judge
    redis: RedisKind = "shared"
    proxy: bool = False


FAULTS = [
    Fault("redis-sigkill-aof", redis_sigkill, and_none_failed(exact_without_gap), redis="durable"),
    Fault("redis-sigkill-ephemeral", redis_sigkill, and_none_failed(loss_recorded), redis="ephemeral"),
    Fault("redis-flushall", redis_flushall, and_none_failed(loss_recorded), redis="ephemeral"),
    Fault("redis-client-pause", redis_client_pause, and_none_failed(exact), redis="durable"),
    Fault("postgres-cut", postgres_cut, and_none_failed(exact), proxy=True),
    Fault("worker-sigkill-loop", worker_sigkill_loop, and_none_failed(exact)),
    Fault("cluster-failover", cluster_failover, and_none_failed(exact), redis="cluster"),
    Fault("cluster-reshard", cluster_reshard, and_none_failed(exact), redis="cluster"),
    Fault("edge-sigterm", edge_sigterm, exact),
    Fault("edge-sigkill", edge_sigkill, loss_bounded),
]
FAULTS_BY_NAME = {fault.name: fault for fault in FAULTS}


# --- one run


@dataclass(frozen=True)
class Plan:
    rate: int
    seconds: float


def run_fault(fault: Fault, plan: Plan, urls: StoreUrls, work: Path) -> Outcome:
    """Set the run up, load it while the fault strikes, drain, count; always cleans up."""
    with Stage(urls, work, redis=fault.redis, proxy=fault.proxy) as stage:
        codes = make_codes(CODES)
        asyncio.run(seed_links(stage.settings, codes))
        stage.start_edge()
        stage.start_worker()
        load = Load(stage.edge.url, codes, rate=plan.rate)
        tally = uvloop.run(drive(fault, stage, load, plan.seconds))  # uvloop: a quarter less client CPU
        stage.edge.terminate()  # SIGTERM: the edge flushes what it buffered, so the count can settle
        counts = asyncio.run(wait_for_drain(stage.settings, served=tally.served))
        return Outcome(tally=tally, counts=counts, flush_interval=stage.settings.click_flush_interval)


async def drive(fault: Fault, stage: Stage, load: Load, seconds: float) -> Tally:
    await load.wait_until_serving()
    await load.warm_up()
    striking = asyncio.create_task(fault.act(stage, load, seconds))
    tally = await load.run(seconds)
    await striking
    return tally


# --- the table


COLUMNS = (
    f"{'run':<24} {'sent':>6} {'req/s':>5} {'served':>6} {'failed':>6} {'counted':>7} {'lost':>5} {'gaps':>4} "
    f"{'time':>5}  "
)
HEADER = COLUMNS + f"{'promise':<44} result"


def row(fault: Fault, outcome: Outcome, seconds: float) -> tuple[str, bool]:
    """The run's line in the table (req/s: the rate the client kept), and whether its promise held."""
    tally, counts = outcome.tally, outcome.counts
    promise, holds = fault.judge(outcome)
    result = "PASS" if holds else "FAIL"
    if not counts.drained:
        result += " (streams not drained)"
    line = (
        f"{fault.name:<24} {tally.sent:>6} {tally.request_rate:>5.0f} {tally.served:>6} {tally.failed:>6} "
        f"{counts.counted:>7} {outcome.lost:>5} {counts.gaps:>4} {seconds:>4.0f}s  {promise:<44} {result}"
    )
    return line, holds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="+", choices=list(FAULTS_BY_NAME), metavar="NAME", help="runs to do")
    parser.add_argument("--rate", type=int, default=500, help="redirects per second (default 500)")
    parser.add_argument("--seconds", type=float, default=12.0, help="load per run (default 12)")
    args = parser.parse_args(argv)
    plan = Plan(rate=args.rate, seconds=args.seconds)
    faults = [FAULTS_BY_NAME[name] for name in args.only] if args.only else FAULTS
    work = Path(tempfile.mkdtemp(prefix="hop-faults-"))
    started = time.monotonic()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {len(faults)} runs, {plan.rate}/s for {plan.seconds:g} s each")
    print(f"logs in {work}\n\n{HEADER}", flush=True)
    all_held = True
    with stores_for("HOP_BENCH", work / "stores") as urls:
        for fault in faults:
            all_held = run_and_print(fault, plan, urls, work / fault.name) and all_held
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nwall time {time.monotonic() - started:.0f} s, load average {load} ({os.cpu_count()} CPUs)")
    return 0 if all_held else 1


def run_and_print(fault: Fault, plan: Plan, urls: StoreUrls, work: Path) -> bool:
    started = time.monotonic()
    try:
        outcome = run_fault(fault, plan, urls, work)
    except Exception as error:  # one broken run must not hide the others' rows
        traceback.print_exception(error, file=sys.stderr)
        print(f"{fault.name:<24} ERROR {type(error).__name__}: {error}".splitlines()[0] + "  FAIL", flush=True)
        return False
    line, holds = row(fault, outcome, time.monotonic() - started)
    print(line, flush=True)
    return holds


if __name__ == "__main__":
    sys.exit(main())
