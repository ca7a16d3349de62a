"""Writing click batches to the streams exactly as the edge does, for worker tests and the benchmark."""

from __future__ import annotations

import itertools
import uuid

from redis.asyncio import Redis

from common.records import STREAM_FIELD_BATCH, STREAM_FIELD_ID, STREAM_FIELD_VERSION, STREAM_FORMAT_VERSION, Click, Keys
from common.records import encode_click_batch as encode

_sequence = itertools.count()


def batch_id() -> bytes:
    return f"{uuid.uuid4().hex[:16]}:{next(_sequence)}".encode()


async def xadd_batch(redis: Redis, keys: Keys, shard: int, clicks: list[Click], *, batch: bytes | None = None) -> bytes:
    """XADD one packed batch; returns its batch id (pass it again to simulate an edge re-send)."""
    batch = batch or batch_id()
    await redis.xadd(
        keys.clicks_stream(shard),
        {STREAM_FIELD_VERSION: STREAM_FORMAT_VERSION, STREAM_FIELD_ID: batch, STREAM_FIELD_BATCH: encode(clicks)},
    )
    return batch
