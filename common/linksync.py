"""The full sync: every servable link loaded from Postgres into Redis, then the completeness marker.

While ``{prefix}links:complete`` holds a ``done:`` generation, every link Postgres would serve has
a key in Redis (a record, or a tombstone written after the sync read it as servable), so the edge
answers a code Redis does not know with a 404 without asking Postgres. The marker is only a key:
FLUSHALL or a restart without persistence removes it with the records, and the edge reads through
again.

The protocol, for every writer of link records (admin's write-through, the worker's tombstones):

- a write-through that failed must be followed by ``mark_incomplete`` (``DEL`` of the marker),
  retried until Redis takes it, before the failure counts as handled: until then the marker may
  claim a completeness that the missing write broke;
- a sync writes ``sync:<generation>`` first, loads the links, then turns it into
  ``done:<generation>`` only if the value is still its own (one Lua compare-and-set). A ``DEL``
  during the sync (a write-through failed meanwhile, which the sync may have read too early) or
  a concurrent sync makes that last step fail, and the marker stays untrusted.

The marker expires before any record the sync wrote (records live ``RECORD_TTL_S``): the sync
refreshes the TTL of every servable link's key and the marker gets what is left of that TTL, less
a margin. So run ``hop sync`` more often than ``RECORD_TTL_S`` (say every 30 minutes) to keep
unknown codes off Postgres all the time. It needs a Redis that does not evict keys
(``maxmemory-policy noeviction``): an evicted record under a live marker is a valid link answering 404.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from dataclasses import dataclass
from typing import Final

import asyncpg

from common.linkstore import SERVABLE_SELECT, record_from_row
from common.records import RECORD_TTL_S, Keys, LinkRecord
from common.redis import RedisClient

logger = logging.getLogger("hop.linksync")

MARKER_PENDING: Final = b"sync:"  # a sync is loading: not trusted
MARKER_DONE: Final = b"done:"  # a sync finished: Redis holds every servable link
MARKER_MARGIN_S: Final = 60  # the marker expires this long before the first record the sync wrote
SYNC_CHUNK: Final = 2_000  # rows per cursor fetch and per Redis pipeline

# SET the marker to ARGV[2] (EX ARGV[3]) only if it still holds ARGV[1]: what this sync wrote first.
_FINISH_LUA: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
    return 1
end
return 0
"""


def marker_trusted(value: bytes | None) -> bool:
    """Whether the marker's value (as read by the edge's MGET) says Redis holds every servable link."""
    return value is not None and value.startswith(MARKER_DONE)


async def mark_incomplete(redis: RedisClient, keys: Keys) -> None:
    """What a writer whose write-through failed must call (and retry until it returns): ``DEL`` the marker.

    Raises:
        redis.exceptions.RedisError, OSError: Redis did not take it; the caller retries.
    """
    await redis.delete(keys.links_complete)


@dataclass(frozen=True, slots=True)
class SyncResult:
    links: int  # servable links loaded
    complete: bool  # the marker was set
    marker_ttl_s: int  # how long it is trusted (0 when not set)


async def full_sync(pool: asyncpg.Pool, redis: RedisClient, keys: Keys) -> SyncResult:
    """Load every servable link into Redis, then set the marker if nothing intervened."""
    started = time.monotonic()
    generation = f"{int(time.time())}-{secrets.token_hex(8)}".encode()
    pending = MARKER_PENDING + generation
    # Untrusted from here on: the edge reads through until the sync is done.
    await redis.set(keys.links_complete, pending, ex=RECORD_TTL_S)
    links = await _load_all(pool, redis, keys)
    ttl = RECORD_TTL_S - math.ceil(time.monotonic() - started) - MARKER_MARGIN_S
    if ttl <= 0:
        logger.warning("the sync took too long for its records to outlive a marker; not set")
        return SyncResult(links=links, complete=False, marker_ttl_s=0)
    finish = redis.register_script(_FINISH_LUA)
    done = await finish(keys=[keys.links_complete], args=[pending, MARKER_DONE + generation, ttl])
    if not done:
        logger.warning("the completeness marker changed during the sync (a failed write-through or another sync)")
        return SyncResult(links=links, complete=False, marker_ttl_s=0)
    return SyncResult(links=links, complete=True, marker_ttl_s=ttl)


async def _load_all(pool: asyncpg.Pool, redis: RedisClient, keys: Keys) -> int:
    loaded = 0
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(f"{SERVABLE_SELECT} ORDER BY l.id")
        while rows := await cursor.fetch(SYNC_CHUNK):
            records = {row["edge_key"]: record_from_row(row) for row in rows}
            loaded += await _write_chunk(redis, keys, records)
    return loaded


async def _write_chunk(redis: RedisClient, keys: Keys, records: dict[str, LinkRecord | None]) -> int:
    """SET NX each servable record and refresh its key's TTL; returns how many were servable.

    NX, because a key already there was written by admin (after its commit) or by a read-through,
    never older than this sync's snapshot except after a failed write-through, which clears the
    marker anyway. EXPIRE, because the marker vouches for these keys for almost RECORD_TTL_S.
    Links Postgres does not serve are left alone: absent under the marker already means 404.
    """
    servable = 0
    async with redis.pipeline(transaction=False) as pipe:
        for edge_key, record in records.items():
            if record is None:
                continue
            servable += 1
            pipe.set(keys.link(edge_key), record.encode(), ex=RECORD_TTL_S, nx=True)
            pipe.expire(keys.link(edge_key), RECORD_TTL_S)
        if servable:
            await pipe.execute()
    return servable
