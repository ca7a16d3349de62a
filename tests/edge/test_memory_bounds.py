"""The click buffer's bound holds while Redis is away: what `python -m bench.memory` prices per click
(bytes per buffered click x HOP_CLICK_BUFFER_MAX) is the most one edge process holds."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from common.records import Keys
from edge.clicks import ClickBuffer
from harness.processes import free_port

CLICK = (1_767_225_600_000, "abc", "203.0.113.9", "hop-tests", "", "")


async def test_the_click_buffer_holds_its_limit_and_counts_the_rest_dropped_while_redis_is_away() -> None:
    # A port nobody listens on: every flush is refused, as during an outage.
    unreachable = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    buffer = ClickBuffer(
        redis=unreachable,
        keys=Keys("t:"),
        shards=1,
        flush_interval=0.01,
        flush_size=300,
        limit=1_000,
    )
    try:
        for _ in range(900):
            buffer.add(CLICK)
        # A refused flush packs the clicks into batches kept for the retry: they still count against the limit.
        assert not await buffer.flush()
        for _ in range(200):
            buffer.add(CLICK)
        assert buffer.pending == 1_000
        assert buffer.stats.dropped == 100 and buffer.stats.flush_errors == 1
    finally:
        await unreachable.aclose()
