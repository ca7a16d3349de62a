"""Worker throughput: seed the click streams with realistic packed batches, time one burst drain.

    .venv/bin/python bench/worker_bench.py [--clicks 200000] [--batch 100] [--links 1000]

Uses HOP_REDIS_URL / HOP_DATABASE_URL (default: the local servers on 127.0.0.1) with a throwaway
schema and key prefix, runs `hop worker --burst` as a separate process (one process, the unit
that scales), and prints clicks/s. The batch size mirrors the edge: at 10,000 redirects/s with
a 10 ms flush, each XADD carries about 100 clicks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from admin.migrate import migrate  # noqa: E402
from common.records import (  # noqa: E402
    STREAM_FIELD_BATCH,
    STREAM_FIELD_ID,
    STREAM_FIELD_VERSION,
    STREAM_FORMAT_VERSION,
    Keys,
    encode_click_batch,
)

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


def realistic_clicks(rng: random.Random, codes: list[str], count: int, now_ms: int) -> list[tuple]:
    agents = [agent.format(v=v) for agent in AGENTS for v in range(100, 130)]  # ~200 distinct agents
    clicks = []
    for n in range(count):
        code = codes[min(int(rng.paretovariate(1.2)) - 1, len(codes) - 1)]
        ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        clicks.append((now_ms - count + n, code, ip, rng.choice(agents), rng.choice(REFERRERS), rng.choice(COUNTRIES)))
    return clicks


async def seed(args: argparse.Namespace, database_url: str, redis_url: str, schema: str, prefix: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, schema=schema)
        await conn.executemany(
            "INSERT INTO links (code, target_url) VALUES ($1, $2)",
            [(f"b{n}", f"https://example.com/{n}") for n in range(args.links)],
        )
    finally:
        await conn.close()
    rng = random.Random(1)
    clicks = realistic_clicks(rng, [f"b{n}" for n in range(args.links)], args.clicks, time.time_ns() // 1_000_000)
    keys = Keys(prefix=prefix)
    redis = Redis.from_url(redis_url)
    async with redis.pipeline(transaction=False) as pipe:
        for number, start in enumerate(range(0, len(clicks), args.batch)):
            fields = {
                STREAM_FIELD_VERSION: STREAM_FORMAT_VERSION,
                STREAM_FIELD_ID: f"bench:{number}".encode(),
                STREAM_FIELD_BATCH: encode_click_batch(clicks[start : start + args.batch]),
            }
            pipe.xadd(keys.clicks_stream(number % args.shards), fields)  # type: ignore[arg-type]
        await pipe.execute()
    await redis.aclose()


async def cleanup(database_url: str, redis_url: str, schema: str, prefix: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        applied = await conn.fetchval(f'SELECT count(*) FROM "{schema}".clicks')
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()
    redis = Redis.from_url(redis_url)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    return int(applied)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100, help="clicks per stream entry (per edge XADD)")
    parser.add_argument("--links", type=int, default=1_000)
    parser.add_argument("--shards", type=int, default=4)
    args = parser.parse_args()
    database_url = os.environ.get("HOP_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("HOP_REDIS_URL", "redis://127.0.0.1:6379/0")
    tag = uuid.uuid4().hex[:8]
    schema, prefix = f"bench_worker_{tag}", f"bench:{tag}:"
    asyncio.run(seed(args, database_url, redis_url, schema, prefix))
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOP_")}
    env.update(
        HOP_DATABASE_URL=database_url,
        HOP_REDIS_URL=redis_url,
        HOP_DATABASE_SCHEMA=schema,
        HOP_REDIS_PREFIX=prefix,
        HOP_CLICK_SHARDS=str(args.shards),
        HOP_LOG_LEVEL="WARNING",
    )
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "admin.cli", "worker", "--burst"], env=env, cwd=ROOT, check=True)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    finally:
        applied = asyncio.run(cleanup(database_url, redis_url, schema, prefix))
    # Wall time depends on what else the machine runs; the worker's own CPU time does much less.
    print(
        f"worker: {applied} clicks in {elapsed:.2f} s = {applied / elapsed:,.0f} clicks/s wall, "
        f"{cpu:.2f} s worker CPU = {applied / cpu:,.0f} clicks per CPU-second, load average {os.getloadavg()[0]:.1f} "
        f"(one process, {args.batch} clicks per entry, {args.links} links, {args.shards} shards, incl. start-up)"
    )
    return 0 if applied == args.clicks else 1


if __name__ == "__main__":
    sys.exit(main())
