"""Seeding many links fast: COPY into Postgres and one pipelined SET per link into Redis.

The links service (admin.links.create_link) does one INSERT and one Redis write per link, which
would take minutes for 100,000; the rows and records written here are the ones it would write.
"""

from __future__ import annotations

import random
import string

import asyncpg
from redis.asyncio import Redis

from admin.migrate import migrate
from common.db import connect_kwargs
from common.records import RECORD_TTL_S, Keys, LinkRecord
from common.settings import Settings

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 7
PIPELINE_CHUNK = 5_000  # SETs per round trip: large enough to amortise, small enough to keep Redis responsive


def make_codes(count: int, *, seed: int = 6) -> list[str]:
    """``count`` distinct random codes, the same ones for the same seed."""
    rng = random.Random(seed)
    codes: set[str] = set()
    while len(codes) < count:
        codes.add("".join(rng.choices(CODE_ALPHABET, k=CODE_LENGTH)))
    return sorted(codes)


def make_unknown_codes(count: int, *, seed: int = 7) -> list[str]:
    # A '-' never appears in seeded codes, so these are guaranteed unknown, yet valid-looking.
    rng = random.Random(seed)
    return ["-" + "".join(rng.choices(CODE_ALPHABET, k=CODE_LENGTH)) for _ in range(count)]


def target_for(index: int) -> str:
    return f"https://example.com/articles/{index}?utm_source=hop"


async def reset_schema(settings: Settings) -> None:
    """Drop and re-create the settings' schema, fully migrated."""
    conn = await asyncpg.connect(str(settings.database_url))
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE')
        await migrate(conn, schema=settings.database_schema)
    finally:
        await conn.close()


async def drop_schema(settings: Settings) -> None:
    conn = await asyncpg.connect(str(settings.database_url))
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE')
    finally:
        await conn.close()


async def delete_prefix(redis: Redis, prefix: str) -> int:
    deleted = 0
    batch: list[bytes] = []
    async for key in redis.scan_iter(match=f"{prefix}*", count=5_000):
        batch.append(key)
        if len(batch) >= PIPELINE_CHUNK:
            deleted += await redis.delete(*batch)
            batch = []
    if batch:
        deleted += await redis.delete(*batch)
    return deleted


async def seed_links(settings: Settings, redis: Redis, codes: list[str]) -> None:
    """Insert one link per code into Postgres, then its record into Redis (write-through, as admin does)."""
    await reset_schema(settings)
    await delete_prefix(redis, settings.redis_prefix)
    conn = await asyncpg.connect(**connect_kwargs(settings))  # type: ignore[arg-type]
    try:
        await conn.copy_records_to_table(
            "links",
            records=[(code, target_for(index)) for index, code in enumerate(codes)],
            columns=["code", "target_url"],
        )
        await conn.execute("ANALYZE links")
    finally:
        await conn.close()
    keys = Keys(prefix=settings.redis_prefix)
    for start in range(0, len(codes), PIPELINE_CHUNK):
        async with redis.pipeline(transaction=False) as pipe:
            for index in range(start, min(start + PIPELINE_CHUNK, len(codes))):
                record = LinkRecord(target=target_for(index))
                pipe.set(keys.link(codes[index]), record.encode(), ex=RECORD_TTL_S)
            await pipe.execute()
