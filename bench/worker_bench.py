"""Worker throughput: seed the click streams with realistic packed batches, time one burst drain.

    .venv/bin/python -m bench.worker_bench [--clicks 200000] [--batch 100] [--links 1000]

Uses the stores named by HOP_BENCH_REDIS_URL / HOP_BENCH_DATABASE_URL (else the local ones, else
embedded ones) with a throwaway schema and key prefix, runs `hop worker --burst` as a separate
process (one process, the unit
that scales), and prints clicks/s. The batch size mirrors the edge: at 10,000 redirects/s with
a 10 ms flush, each XADD carries about 100 clicks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from common.db import connect_kwargs
from common.records import Click
from common.redis import create_redis, keys_for
from common.settings import Settings
from harness.clicks import stream_entry
from harness.processes import run_hop
from harness.stores import create_namespace, drop_namespace, namespaced, stores_for

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (iPad; CPU OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Mobile/15E148 Safari/604.1",
]
REFERRERS = ["", "", "https://www.google.com/", "https://t.co/abc", "https://news.ycombinator.com/item?id=1", ""]
COUNTRIES = ["US", "DE", "FR", "GB", "IN", "BR", "", "JP"]


def realistic_clicks(rng: random.Random, codes: list[str], count: int, now_ms: int) -> list[Click]:
    agents = [agent.format(v=v) for agent in AGENTS for v in range(100, 130)]  # ~200 distinct agents
    clicks: list[Click] = []
    for n in range(count):
        code = codes[min(int(rng.paretovariate(1.2)) - 1, len(codes) - 1)]
        ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        clicks.append((now_ms - count + n, code, ip, rng.choice(agents), rng.choice(REFERRERS), rng.choice(COUNTRIES)))
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
    keys = keys_for(settings)
    redis = create_redis(settings)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for number, start in enumerate(range(0, len(clicks), args.batch)):
                entry = stream_entry(clicks[start : start + args.batch], f"bench:{number}".encode())
                pipe.xadd(keys.clicks_stream(number % args.shards), entry)
            await pipe.execute()
    finally:
        await redis.aclose()


async def applied_clicks(settings: Settings) -> int:
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM clicks"))
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100, help="clicks per stream entry (per edge XADD)")
    parser.add_argument("--links", type=int, default=1_000)
    parser.add_argument("--shards", type=int, default=4)
    args = parser.parse_args()
    with stores_for("HOP_BENCH", Path(tempfile.mkdtemp(prefix="hop-worker-bench-"))) as urls:
        settings = namespaced(urls, click_shards=args.shards, log_level="WARNING", worker_metrics_port=0)
        asyncio.run(seed(args, settings))
        try:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = run_hop(settings, "worker", "--burst", timeout=3_600)
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            applied = asyncio.run(applied_clicks(settings))
        finally:
            asyncio.run(drop_namespace(settings))
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    # Wall time depends on what else the machine runs; the worker's own CPU time does much less.
    print(
        f"worker: {applied} clicks in {elapsed:.2f} s = {applied / elapsed:,.0f} clicks/s wall, "
        f"{cpu:.2f} s worker CPU = {applied / cpu:,.0f} clicks per CPU-second, load average {os.getloadavg()[0]:.1f} "
        f"(one process, {args.batch} clicks per entry, {args.links} links, {args.shards} shards, incl. start-up)"
    )
    return 0 if applied == args.clicks else 1


if __name__ == "__main__":
    sys.exit(main())
