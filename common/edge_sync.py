"""Write-through from Postgres to the edge: Redis records, then an invalidation message.

Every link change queues its edge key (common/domains.py) in ``edge_sync_pending`` in the same
transaction (triggers, migrations 0007 and 0022). After the commit, ``sync_links`` locks the queued
rows, reads what Postgres now says about those links, pushes those records to Redis and deletes the
rows. If Redis is unreachable the change still stands, and the rows stay queued: the worker's
``replay_pending`` pushes them once Redis answers again, so a link disabled during an outage does
not redirect for the hour a stale record would live.

Why this cannot leave an older state in Redis than the one committed last: a pusher takes the row
lock (FOR UPDATE) before it reads the link, and a writer's queueing upsert waits for that lock. So
either the writer committed before the pusher read (the pusher pushes the new state), or it
queues the row again after the pusher is done (and its own push, or the replay, follows). Pushers
skip rows locked by others (SKIP LOCKED): whoever holds the lock reads a state at least as new.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Final

import asyncpg
from redis.exceptions import RedisError

from common.db import Connection
from common.linkstore import fetch_records
from common.linksync import mark_incomplete
from common.records import INVALIDATE_ALL, NEGATIVE, NEGATIVE_TTL_S, RECORD_TTL_S, Keys, LinkRecord
from common.redis import RedisClient, is_cluster

logger = logging.getLogger("hop.edge_sync")


# Past this many links one "flush everything" message is cheaper for the edges than one message each.
PUBLISH_EACH_LIMIT = 100
# Links per push: one Postgres read and one Redis pipeline each.
SYNC_CHUNK: Final = 1_000

_LOCK_KEYS = """SELECT edge_key FROM edge_sync_pending WHERE edge_key = ANY($1::text[])
                ORDER BY edge_key FOR UPDATE SKIP LOCKED"""
_LOCK_OLDEST = """SELECT edge_key FROM edge_sync_pending WHERE queued_at <= now() - make_interval(secs => $2)
                  ORDER BY queued_at, edge_key LIMIT $1 FOR UPDATE SKIP LOCKED"""
# The replay leaves younger links to the write-through their writer is about to run (milliseconds
# after its commit), so that each change is normally pushed once.
REPLAY_MIN_AGE_S: Final = 1.0


async def push_records(redis: RedisClient, keys: Keys, records: Mapping[str, LinkRecord | None]) -> bool:
    """SET each record (a tombstone for None), by edge key, and tell every edge, in one round trip.

    Returns False when Redis could not be reached; the caller's change stands regardless. Callers
    with a pool use ``sync_links``, which keeps the links queued until Redis has them.
    """
    if not records:
        return True
    messages = [INVALIDATE_ALL] if len(records) > PUBLISH_EACH_LIMIT else list(records)
    cluster = is_cluster(redis)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for edge_key, record in records.items():
                if record is None:
                    pipe.set(keys.link(edge_key), NEGATIVE, ex=NEGATIVE_TTL_S)
                else:
                    pipe.set(keys.link(edge_key), record.encode(), ex=RECORD_TTL_S)
            if not cluster:
                for message in messages:
                    pipe.publish(keys.invalidate_channel, message)
            await pipe.execute()
        if cluster:
            # A cluster pipeline refuses PUBLISH (no key to route it by), so the keys follow the
            # SETs in one message, space-separated (no edge key holds a space); the edge splits it.
            await redis.publish(keys.invalidate_channel, " ".join(messages))
    except (RedisError, OSError) as error:
        logger.warning("redis write-through failed for %d links (queued for replay): %s", len(records), error)
        await _forget_completeness(redis, keys)
        return False
    return True


async def _forget_completeness(redis: RedisClient, keys: Keys) -> None:
    # Redis now misses a change: edges must stop taking an absent key for "no such link"
    # (common/linksync.py). Tried once: when Redis is down this fails too, and what retries until
    # Redis takes it is the replay, which writes the very keys the failure left wrong.
    with contextlib.suppress(RedisError, OSError):
        await mark_incomplete(redis, keys)


async def sync_links(*, pool: asyncpg.Pool, redis: RedisClient, keys: Keys, edge_keys: Iterable[str]) -> bool:
    """Push what Postgres now says about the queued links (``edge_keys``) to Redis, then dequeue them.

    Call it after the change's transaction committed. Keys not queued (already pushed) or held
    by another pusher are skipped. Returns False when Redis refused; the keys stay queued.
    """
    wanted = list(dict.fromkeys(edge_keys))
    ok = True
    for start in range(0, len(wanted), SYNC_CHUNK):
        pushed = await _push_locked(pool, redis, keys, _LOCK_KEYS, wanted[start : start + SYNC_CHUNK])
        ok = ok and pushed is not None
    return ok


async def replay_pending(
    *, pool: asyncpg.Pool, redis: RedisClient, keys: Keys, min_age_s: float = REPLAY_MIN_AGE_S, limit: int = SYNC_CHUNK
) -> int:
    """Push links queued at least ``min_age_s`` ago, oldest first, until none is left or Redis
    refuses; returns how many were pushed.

    The worker calls this periodically: it repairs write-throughs that failed (Redis down) or never
    ran (admin killed between COMMIT and push).
    """
    replayed = 0
    while True:
        pushed = await _push_locked(pool, redis, keys, _LOCK_OLDEST, limit, min_age_s)
        if pushed is None:
            break
        replayed += pushed
        if pushed < limit:
            break
    if replayed:
        logger.info("replayed %d queued link changes to redis", replayed)
    return replayed


async def _push_locked(
    pool: asyncpg.Pool, redis: RedisClient, keys: Keys, lock_query: str, *arguments: object
) -> int | None:
    """Lock queued rows with ``lock_query``, push their links' records, dequeue them.

    Returns how many were pushed, or None when Redis refused (the rows stay queued).
    """
    async with pool.acquire() as conn, conn.transaction():
        edge_keys = [row["edge_key"] for row in await conn.fetch(lock_query, *arguments)]
        if not edge_keys:
            return 0
        # Read after the lock: a writer that committed before it is seen; a later one queues again.
        if not await push_records(redis, keys, await fetch_records(conn, edge_keys)):
            return None
        await _dequeue(conn, edge_keys)
    return len(edge_keys)


async def _dequeue(conn: Connection, edge_keys: list[str]) -> None:
    await conn.execute("DELETE FROM edge_sync_pending WHERE edge_key = ANY($1::text[])", edge_keys)
