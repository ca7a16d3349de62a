"""The edge's click buffer survives whatever a flush raises: the clicks stay, the flusher goes on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import pytest

from common.records import decode_click_batch
from common.redis import StreamEntries
from common.stores import Stores
from edge.clicks import ClickBuffer


class FailsOnce:
    """The real Redis, whose first pipeline raises ``error``."""

    def __init__(self, stores: Stores, error: Exception) -> None:
        self._redis = stores.redis
        self._error: Exception | None = error

    def pipeline(self, **options: Any) -> Any:
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._redis.pipeline(**options)


@pytest.mark.parametrize(
    ("error", "logged"),
    [
        # How uvloop fails a write on a transport another task closed (not a RedisError): what
        # redis-py's cluster client caused when it closed a node's connections in a slot migration.
        (RuntimeError("unable to perform operation on <TCPTransport closed=True>"), "click flush failed, 1 clicks"),
        (ValueError("a bug"), "click flush failed unexpectedly, 1 clicks"),
    ],
)
async def test_a_flush_that_fails_keeps_its_clicks_and_the_flusher_retries(
    stores: Stores, caplog: pytest.LogCaptureFixture, error: Exception, logged: str
) -> None:
    redis = FailsOnce(stores, error)
    buffer = ClickBuffer(
        redis=redis,  # type: ignore[arg-type]
        keys=stores.keys,
        shards=1,
        flush_interval=0.001,
        flush_size=100,
        limit=1_000,
    )
    flusher = asyncio.create_task(buffer.run())
    click = (1_767_225_600_000, "abc", "203.0.113.9", "hop-tests", "", "")
    with caplog.at_level(logging.WARNING, logger="hop.edge.clicks"):
        buffer.add(click)
        async with asyncio.timeout(10):
            while buffer.stats.flushed < 1:
                await asyncio.sleep(0.01)  # polls the buffer's own count: the event is the flush

    assert not flusher.done()
    assert buffer.stats.flush_errors == 1 and buffer.pending == 0
    assert logged in caplog.text
    entries = cast(StreamEntries, await stores.redis.xrange(stores.keys.clicks_stream(0)))
    assert [decode_click_batch(fields[b"c"]) for _, fields in entries] == [[click]]
    await buffer.stop(1.0)
    await flusher
