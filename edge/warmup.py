"""A fresh edge worker's local cache, filled before it serves with the links that were hot.

A restarted edge starts with an empty local cache, so for its first seconds most requests miss
and wait for an MGET (bench/cold_start.py measures it). So before the worker reports ready, the
lifespan caches the links with the most clicks in the last hour (click_rollups, which the click
worker keeps per quarter hour; Postgres, or the replica the edge reads from), their records read
from Redis in chunks of one MGET each and cached as a lookup caches them (``Resolver.preload``),
each for a random time between half a cache TTL and a whole one, so that they do not all expire in
the same instant. Codes Redis lacks are left to their first request's read-through.

Bounded: at most ``limit`` links (HOP_CACHE_WARMUP_LINKS, never more than HOP_CACHE_MAX_ENTRIES)
and ``WARMUP_BUDGET_S`` seconds. Past the budget, or on any error, the worker serves with what was
cached so far: a warm-up never fails or holds up start-up for longer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from common.db import Executor
from edge.resolver import Resolver

logger = logging.getLogger("hop.edge.warmup")

HOT_WINDOW = timedelta(hours=1)  # clicks this recent make a link hot
WARMUP_BUDGET_S = 2.0  # the most a warm-up adds to a worker's start-up
MGET_CHUNK = 1_000  # keys per MGET: one round trip of ~100 kB, short enough not to stall Redis

# The bucket index (click_rollups_bucket_idx) finds the window's rows; links gives their edge keys.
_HOT_LINKS = """
    SELECT l.edge_key
    FROM (
        SELECT link_id, sum(clicks) AS clicks
        FROM click_rollups
        WHERE bucket >= $1
        GROUP BY link_id
        ORDER BY clicks DESC, link_id
        LIMIT $2
    ) AS hot
    JOIN links l ON l.id = hot.link_id
    ORDER BY hot.clicks DESC, hot.link_id
"""


@dataclass(frozen=True, slots=True)
class WarmUp:
    """What a warm-up did: links chosen, links cached, seconds taken, and whether it finished."""

    hot: int
    cached: int
    seconds: float
    complete: bool


async def hot_links(conn: Executor, *, limit: int, since: datetime) -> list[str]:
    """Edge keys of the (at most ``limit``) links with the most clicks since ``since``, most first."""
    rows = await conn.fetch(_HOT_LINKS, since, limit)
    return [row["edge_key"] for row in rows]


async def warm_cache(
    resolver: Resolver, conn: Executor, *, limit: int, budget: float = WARMUP_BUDGET_S, now: datetime | None = None
) -> WarmUp:
    """Cache the hot links' records; never raises (errors and the deadline are logged)."""
    started = time.monotonic()
    hot: list[str] = []
    cached = 0
    complete = False
    if limit <= 0:
        return WarmUp(0, 0, 0.0, complete=True)
    try:
        async with asyncio.timeout(budget):
            hot = await hot_links(conn, limit=limit, since=(now or datetime.now(UTC)) - HOT_WINDOW)
            for chunk in _chunks(hot, MGET_CHUNK):
                cached += await resolver.preload(chunk)
        complete = True
    except TimeoutError:
        logger.warning("cache warm-up stopped after %.1fs: the worker serves with what it cached", budget)
    except Exception as error:
        # A warm-up only saves the first requests an MGET each: whatever failed, the worker serves.
        logger.warning("cache warm-up failed, serving with what it cached: %r", error)
    warm_up = WarmUp(hot=len(hot), cached=cached, seconds=time.monotonic() - started, complete=complete)
    logger.info(
        "cache warm-up: %d of %d hot links cached in %.2fs%s",
        warm_up.cached,
        warm_up.hot,
        warm_up.seconds,
        "" if complete else " (incomplete)",
    )
    return warm_up


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
