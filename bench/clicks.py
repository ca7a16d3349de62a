"""Counting the clicks that reached Redis, to set against the redirects the load generator saw."""

from __future__ import annotations

import redis

from common.records import STREAM_FIELD_BATCH, Keys, decode_click_batch


def edge_clicks(client: redis.Redis, keys: Keys, shards: int) -> int:
    """Clicks in the edge's streams: each entry is a packed batch, so count the tuples inside."""
    total = 0
    for stream in keys.all_click_streams(shards):
        last = "-"
        while True:
            entries = client.xrange(stream, min=last, count=1_000)
            if last != "-":
                entries = entries[1:]  # the range is inclusive of the entry we resume from
            if not entries:
                break
            for _, fields in entries:
                total += len(decode_click_batch(fields[STREAM_FIELD_BATCH]))
            last = entries[-1][0]
    return total


def reset_edge_streams(client: redis.Redis, keys: Keys, shards: int) -> None:
    client.delete(*keys.all_click_streams(shards))
