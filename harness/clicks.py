"""Click streams from the outside: writing batches exactly as the edge does, and counting clicks."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Sequence

from redis.typing import EncodableT, FieldT

from common.records import (
    STREAM_FIELD_BATCH,
    STREAM_FIELD_ID,
    STREAM_FIELD_VERSION,
    STREAM_FORMAT_VERSION,
    Click,
    Keys,
    decode_click_batch,
    encode_click_batch,
    is_orphan,
)
from common.redis import RedisClient, keys_for
from common.settings import ClickStreamSettings
from harness.stores import sync_redis

XRANGE_PAGE = 1_000
_sequence = itertools.count()


def batch_id() -> bytes:
    """A fresh batch id in the edge's format ("{instance}:{sequence}")."""
    return f"{uuid.uuid4().hex[:16]}:{next(_sequence)}".encode()


def stream_entry(clicks: Sequence[Click], batch: bytes) -> dict[FieldT, EncodableT]:
    """The fields of one stream entry, as the edge writes them (typed as XADD takes them)."""
    return {
        STREAM_FIELD_VERSION: STREAM_FORMAT_VERSION,
        STREAM_FIELD_ID: batch,
        STREAM_FIELD_BATCH: encode_click_batch(clicks),
    }


async def xadd_batch(
    redis: RedisClient, keys: Keys, shard: int, clicks: Sequence[Click], *, batch: bytes | None = None
) -> bytes:
    """XADD one packed batch; returns its batch id (pass it again to simulate an edge re-send)."""
    batch = batch or batch_id()
    await redis.xadd(keys.clicks_stream(shard), stream_entry(clicks, batch))
    return batch


def stream_clicks(settings: ClickStreamSettings) -> list[Click]:
    """Every click in every click stream of ``settings``, oldest first per stream; orphan visits
    (edge/orphans.py), which share the streams, are left out: see ``stream_orphan_visits``."""
    return [click for click in _stream_items(settings) if not is_orphan(click[1])]


def stream_orphan_visits(settings: ClickStreamSettings) -> list[Click]:
    """The orphan visits in the click streams: clicks whose code is the request's path."""
    return [click for click in _stream_items(settings) if is_orphan(click[1])]


def _stream_items(settings: ClickStreamSettings) -> list[Click]:
    keys = keys_for(settings)
    clicks: list[Click] = []
    with sync_redis(settings) as client:
        for stream in keys.all_click_streams(settings.click_shards):
            last = b"-"
            while True:
                entries = client.xrange(stream, min=last, count=XRANGE_PAGE)
                if last != b"-":
                    entries = entries[1:]  # the range includes the entry we resume from
                if not entries:
                    break
                for _, fields in entries:
                    clicks.extend(decode_click_batch(fields[STREAM_FIELD_BATCH]))
                last = entries[-1][0]
    return clicks


def clicks_by_code(settings: ClickStreamSettings) -> Counter[str]:
    return Counter(click[1] for click in stream_clicks(settings))


def reset_streams(settings: ClickStreamSettings) -> None:
    with sync_redis(settings) as client:
        client.delete(*keys_for(settings).all_click_streams(settings.click_shards))
