"""Reading the click stream shards a worker owns: one XREAD on one Redis, one per shard in a cluster.

On one Redis a single ``XREAD ... STREAMS s0 s1 ...`` blocks on every owned shard at once. In a
Redis Cluster each shard stream sits in its own slot (``Keys`` hash-tags it), and a command may
not span slots, so each shard gets its own blocking XREAD against the node that owns it. Those
reads stay in flight across calls: a read returns as soon as any shard has entries, and the
shards still waiting keep their place instead of being asked again.

When a shard's slot migrates, redis-py follows the ASK and MOVED replies (a read blocked at the old
owner is answered MOVED once the slot is handed over); a shard's move to another node is logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol, cast

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import SlotNotCoveredError
from redis.typing import KeyT, StreamIdT

from common.records import Keys
from common.redis import RedisClient, XReadReply, is_cluster

logger = logging.getLogger("hop.worker.streams")


class StreamReader(Protocol):
    async def read(self, read_from: dict[int, str]) -> XReadReply | None:
        """Entries after each shard's position (``read_from``: shard -> stream ID), None when none came."""

    async def close(self) -> None:
        """Abandon the reads in flight."""


def stream_reader(redis: RedisClient, keys: Keys, *, count: int, block_ms: int | None) -> StreamReader:
    """The reader for ``redis``; ``block_ms`` None reads without waiting (burst mode)."""
    if is_cluster(redis):
        return ShardReads(redis, keys, count=count, block_ms=block_ms)
    return OneRead(redis, keys, count=count, block_ms=block_ms)


class OneRead:
    """One XREAD over every owned shard (a single Redis)."""

    def __init__(self, redis: RedisClient, keys: Keys, *, count: int, block_ms: int | None) -> None:
        self._redis = redis
        self._keys = keys
        self._count = count
        self._block_ms = block_ms

    async def read(self, read_from: dict[int, str]) -> XReadReply | None:
        streams: dict[KeyT, StreamIdT] = {self._keys.clicks_stream(shard): at for shard, at in read_from.items()}
        response = await self._redis.xread(streams, count=self._count, block=self._block_ms)
        # redis-py types every protocol's answer; the worker's clients speak RESP2 (the default), a list.
        return cast(XReadReply, response) or None

    async def close(self) -> None:
        return None


class ShardReads:
    """A blocking XREAD per shard, each on the node owning that shard's slot (a Redis Cluster)."""

    def __init__(self, redis: RedisCluster, keys: Keys, *, count: int, block_ms: int | None) -> None:
        self._redis = redis
        self._keys = keys
        self._count = count
        self._block_ms = block_ms
        # shard -> (the position its read started from, the read)
        self._reads: dict[int, tuple[str, asyncio.Task[XReadReply]]] = {}
        self._abandoned: set[asyncio.Task[XReadReply]] = set()  # cancelled, held until they end
        self._nodes: dict[int, str] = {}  # shard -> the node ("host:port") its last read went to

    async def read(self, read_from: dict[int, str]) -> XReadReply | None:
        if self._block_ms is None:
            # Burst mode stops at the first empty answer, so it must hear from every shard.
            replies = await asyncio.gather(*(self._read_one(shard, at) for shard, at in read_from.items()))
            return [stream for reply in replies for stream in reply] or None
        self._start(read_from)
        if not self._reads:
            return None
        done, _ = await asyncio.wait([task for _, task in self._reads.values()], return_when=asyncio.FIRST_COMPLETED)
        reply: XReadReply = []
        for shard, (_, task) in list(self._reads.items()):
            if task in done:
                del self._reads[shard]
                reply += task.result()  # a failed read raises here; the loop retries it from the cursor
        return reply or None

    def _start(self, read_from: dict[int, str]) -> None:
        """Keep each read still asking from the wanted position; replace or drop the others."""
        for shard, (position, task) in list(self._reads.items()):
            if read_from.get(shard) != position:
                del self._reads[shard]
                self._abandon(task)
        for shard, position in read_from.items():
            if shard not in self._reads:
                self._reads[shard] = (position, asyncio.create_task(self._read_one(shard, position)))

    async def _read_one(self, shard: int, position: str) -> XReadReply:
        stream = self._keys.clicks_stream(shard)
        try:
            response = await self._redis.xread({stream: position}, count=self._count, block=self._block_ms)
        finally:
            self._note_node(shard, stream, position)
        return cast(XReadReply, response) or []

    def _note_node(self, shard: int, stream: str, position: str) -> None:
        """Log the node ``shard`` is read from when it is not the one its last read went to."""
        # Asked after the read: a MOVED it followed has updated the client's slot map by then. A
        # read answered through ASK (a slot half migrated) still counts as its slot owner's.
        try:
            node = self._redis.get_node_from_key(stream)
        except SlotNotCoveredError:
            return  # the client is re-reading the slot map; the next read tells
        if node is not None and self._nodes.get(shard) != node.name:
            self._nodes[shard] = node.name
            logger.info("click shard %d is read from %s, at %s", shard, node.name, position)

    def _abandon(self, task: asyncio.Task[XReadReply]) -> None:
        task.cancel()  # redis-py drops the connection of a command cancelled mid-reply
        self._abandoned.add(task)
        task.add_done_callback(self._abandoned.discard)

    async def close(self) -> None:
        for _, task in self._reads.values():
            self._abandon(task)
        self._reads.clear()
        await asyncio.gather(*self._abandoned, return_exceptions=True)
