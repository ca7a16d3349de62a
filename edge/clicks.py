"""Click capture: the decision to track, the in-memory buffer, and its flusher.

A redirect only appends a tuple to a list. A background task packs what has gathered into one
XADD per batch on a click stream shard, so Redis sees a handful of commands per second however
many redirects are served. While Redis is down the buffer holds up to ``limit`` clicks and
retries with backoff; what it cannot hold is counted as dropped, never silently lost.

Each XADD caps its stream at about ``maxlen`` entries (MAXLEN ~, which trims whole nodes and so
costs nothing per XADD): the bound on Redis memory while no worker runs. Entries trimmed that way
before the worker applied them are detected and recorded by the worker (worker/gaps.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
import uuid

from redis.typing import EncodableT, FieldT

from common.records import (
    STREAM_FIELD_BATCH,
    STREAM_FIELD_ID,
    STREAM_FIELD_VERSION,
    STREAM_FORMAT_VERSION,
    Click,
    Keys,
    encode_click_batch,
)
from common.redis import CONNECTION_FAILURES, RedisClient

logger = logging.getLogger("hop.edge.clicks")

_BACKOFF_FIRST_S = 0.05
_BACKOFF_MAX_S = 2.0


class ClickStats:
    __slots__ = ("buffered", "dropped", "flush_errors", "flushed", "xadds")

    def __init__(self) -> None:
        self.buffered = 0
        self.flushed = 0
        self.dropped = 0
        self.xadds = 0
        self.flush_errors = 0


class ClickBuffer:
    """Clicks waiting for their XADD. ``add`` is sync and never blocks the redirect."""

    def __init__(
        self,
        *,
        redis: RedisClient,
        keys: Keys,
        shards: int,
        flush_interval: float,
        flush_size: int,
        limit: int,
        maxlen: int | None = None,
    ) -> None:
        self._redis = redis
        self._maxlen = maxlen
        self._keys = keys
        self._flush_interval = flush_interval
        self._flush_size = flush_size
        self._limit = limit
        self._clicks: list[Click] = []
        # Packed batches not yet acknowledged by Redis, oldest first, each with the id it keeps across retries.
        self._unsent: list[tuple[bytes, list[Click]]] = []
        self._unsent_count = 0
        streams = keys.all_click_streams(shards)
        start = os.getpid() % shards  # processes start on different shards
        self._streams = itertools.cycle(streams[start:] + streams[:start])
        self._instance = uuid.uuid4().hex[:16]
        self._sequence = itertools.count()
        self._wakeup = asyncio.Event()
        self._flush_lock = asyncio.Lock()  # run() and stop() may both flush; a batch must go out once
        self._stopping = False
        self.stats = ClickStats()

    def add(self, click: Click) -> None:
        clicks = self._clicks
        if len(clicks) + self._unsent_count >= self._limit:
            self.stats.dropped += 1
            return
        if not clicks:
            self._wakeup.set()
        clicks.append(click)
        self.stats.buffered += 1

    @property
    def pending(self) -> int:
        return len(self._clicks) + self._unsent_count

    async def run(self) -> None:
        """Flush until ``stop`` is called; back off while Redis is unreachable."""
        backoff = _BACKOFF_FIRST_S
        while await self._until_clicks():
            # Let concurrent redirects gather so one XADD carries many clicks.
            await asyncio.sleep(self._flush_interval)
            if await self.flush():
                backoff = _BACKOFF_FIRST_S
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)

    async def _until_clicks(self) -> bool:
        """Wait while there is nothing to flush; False once ``stop`` has been called."""
        if not self._stopping and not self._clicks and not self._unsent:
            self._wakeup.clear()
            await self._wakeup.wait()  # set by the first add() into an empty buffer, or by stop()
        return not self._stopping

    async def flush(self) -> bool:
        """Send everything buffered, in one pipeline; returns False when Redis refused."""
        async with self._flush_lock:
            return await self._flush_locked()

    async def _flush_locked(self) -> bool:
        self._pack()
        if not self._unsent:
            return True
        batches = list(self._unsent)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for batch_id, clicks in batches:
                    pipe.xadd(next(self._streams), _entry(batch_id, clicks), maxlen=self._maxlen, approximate=True)
                await pipe.execute()
        except CONNECTION_FAILURES as error:
            self.stats.flush_errors += 1
            logger.warning("click flush failed, %d clicks held for retry: %r", self.pending, error)
            return False
        except Exception:
            # Never the end of the flusher: it would leave every later click in memory, unsent.
            # A batch Redis took in part is sent again under its id, and the worker counts it once.
            self.stats.flush_errors += 1
            logger.exception("click flush failed unexpectedly, %d clicks held for retry", self.pending)
            return False
        sent = sum(len(clicks) for _, clicks in batches)
        del self._unsent[: len(batches)]
        self._unsent_count -= sent
        self.stats.flushed += sent
        self.stats.xadds += len(batches)
        return True

    def _pack(self) -> None:
        clicks, self._clicks = self._clicks, []
        for start in range(0, len(clicks), self._flush_size):
            batch = clicks[start : start + self._flush_size]
            self._unsent.append((f"{self._instance}:{next(self._sequence)}".encode(), batch))
            self._unsent_count += len(batch)

    async def stop(self, grace: float) -> None:
        """Flush what is left, retrying for up to ``grace`` seconds; counts what could not be sent."""
        self._stopping = True
        self._wakeup.set()
        deadline = time.monotonic() + grace
        while self.pending and time.monotonic() < deadline:
            if not await self.flush():
                await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        if self.pending:
            self.stats.dropped += self.pending
            logger.error("shutdown: %d clicks could not be written to redis and are dropped", self.pending)
        else:
            logger.info("shutdown: all clicks flushed (%d in total)", self.stats.flushed)


def _entry(batch_id: bytes, clicks: list[Click]) -> dict[FieldT, EncodableT]:
    return {
        STREAM_FIELD_VERSION: STREAM_FORMAT_VERSION,
        STREAM_FIELD_ID: batch_id,
        STREAM_FIELD_BATCH: encode_click_batch(clicks),
    }
