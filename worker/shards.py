"""Which click stream shards this worker applies: one Postgres advisory lock per shard.

Session-level locks live on one dedicated connection, so a worker that dies (even by SIGKILL)
releases its shards the moment Postgres sees the connection close, and a live worker takes them
over on its next rebalance. The locks only share out the work: correctness does not depend on
them, because every transaction checks and moves the shard's cursor row under FOR UPDATE.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Final

import asyncpg

from common.db import ConnectArgs

logger = logging.getLogger("hop.worker.shards")

# A shard this worker gave up for balance is not taken back for this long, so others can take it.
RELEASE_HOLD_S: Final = 5.0
# Every worker holds a shared lock on this second key: the holders are the live workers, and a dead
# one drops out the moment its connection closes (a heartbeat key would linger for its TTL).
MEMBERSHIP_KEY: Final = 2**31 - 1
# Advisory locks are per database, but pg_locks lists those of every database on the server: count
# only this database's members, or a Hop on another database of the same server (same schema name,
# so the same lock keys) halves this one's fair share and leaves shards without a reader.
_LIVE_WORKERS = """
    SELECT count(DISTINCT pid) FROM pg_locks
    WHERE locktype = 'advisory' AND objsubid = 2 AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND classid = $1::bigint::oid AND objid = $2::bigint::oid
"""


class ShardLeases:
    """The shards this process holds. ``rebalance`` is cheap; call it every few seconds."""

    def __init__(self, *, connect_kwargs: ConnectArgs, schema: str, shards: int) -> None:
        self._connect_kwargs = connect_kwargs
        # Hashed to the lock's first key, so schemas of one database (tests) have locks of their own;
        # other databases have their own lock space anyway.
        self._lock_space = f"hop:clicks:{schema}"
        self._shards = shards
        self._conn: asyncpg.Connection | None = None
        self._released: dict[int, float] = {}
        self._lock_class = 0
        self.owned: set[int] = set()

    async def rebalance(self, *, live_workers: int | None = None) -> set[int]:
        """Take every free shard, then give back what exceeds a fair share. Returns the owned shards.

        ``live_workers`` defaults to the workers holding a membership lock (this one included).
        """
        try:
            conn = await self._connection()
            if live_workers is None:
                live_workers = await self._live_workers(conn)
            now = time.monotonic()
            for shard in range(self._shards):
                if shard in self.owned or self._released.get(shard, 0.0) > now:
                    continue
                if await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1), $2)", self._lock_space, shard):
                    self.owned.add(shard)
                    logger.info("took click shard %d", shard)
            fair = math.ceil(self._shards / max(1, live_workers))
            for shard in sorted(self.owned, reverse=True)[: max(0, len(self.owned) - fair)]:
                await conn.fetchval("SELECT pg_advisory_unlock(hashtext($1), $2)", self._lock_space, shard)
                self.owned.discard(shard)
                self._released[shard] = now + RELEASE_HOLD_S
                logger.info("released click shard %d for another worker", shard)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # Without the connection the locks are gone too: stop applying until they are retaken.
            logger.warning("lost the shard lock connection: %s", error)
            await self.close()
        return set(self.owned)

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self.owned.clear()
            conn = await asyncpg.connect(**self._connect_kwargs)
            await conn.execute("SELECT pg_advisory_lock_shared(hashtext($1), $2)", self._lock_space, MEMBERSHIP_KEY)
            # pg_locks shows the two-key form as classid (an oid: the hash, unsigned) and objid.
            self._lock_class = await conn.fetchval("SELECT (hashtext($1)::bigint & 4294967295)", self._lock_space)
            self._conn = conn
        return self._conn

    async def _live_workers(self, conn: asyncpg.Connection) -> int:
        count = await conn.fetchval(_LIVE_WORKERS, self._lock_class, MEMBERSHIP_KEY)
        return max(1, int(count))

    async def close(self) -> None:
        self.owned.clear()
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                conn.terminate()
