"""Seeding many links fast: COPY into Postgres and one pipelined SET per link into Redis.

The links service (admin.links.create_link) does one INSERT and one Redis write per link, which
would take minutes for 100,000; the rows and records written here are the ones it would write.
"""

from __future__ import annotations

import random
import string

import asyncpg

from common.db import connect_kwargs
from common.records import RECORD_TTL_S, LinkRecord
from common.redis import create_redis, keys_for
from common.settings import CoreSettings
from harness.stores import create_namespace, delete_prefix

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


async def seed_links(settings: CoreSettings, codes: list[str]) -> None:
    """A fresh namespace holding one link per code: rows in Postgres, records in Redis (as admin writes them)."""
    delete_prefix(settings)
    await create_namespace(settings)
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        await conn.copy_records_to_table(
            "links",
            records=[(code, target_for(index)) for index, code in enumerate(codes)],
            columns=["code", "target_url"],
        )
        await conn.execute("ANALYZE links")
    finally:
        await conn.close()
    keys = keys_for(settings)
    redis = create_redis(settings)
    try:
        for start in range(0, len(codes), PIPELINE_CHUNK):
            async with redis.pipeline(transaction=False) as pipe:
                for index in range(start, min(start + PIPELINE_CHUNK, len(codes))):
                    record = LinkRecord(target=target_for(index))
                    pipe.set(keys.link(codes[index]), record.encode(), ex=RECORD_TTL_S)
                await pipe.execute()
    finally:
        await redis.aclose()
