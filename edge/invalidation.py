"""Listens on the invalidation channel and evicts changed codes from the local cache.

Admin publishes a code after every change to its link, or ``*`` when many links change at
once (a user disabled). After a (re)connection the whole cache is dropped, since messages sent
while we were away are lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from common.records import INVALIDATE_ALL

logger = logging.getLogger("hop.edge.invalidation")

_RECONNECT_FIRST_S = 0.1
_RECONNECT_MAX_S = 2.0


async def listen_for_invalidations(
    redis: Redis,
    channel: str,
    *,
    evict: Callable[[str], None],
    evict_all: Callable[[], None],
    subscribed: asyncio.Event | None = None,
) -> None:
    """Runs until cancelled, reconnecting with backoff."""
    backoff = _RECONNECT_FIRST_S
    while True:
        try:
            async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(channel)
                evict_all()
                if subscribed is not None:
                    subscribed.set()
                backoff = _RECONNECT_FIRST_S
                async for message in pubsub.listen():
                    code = message["data"].decode()
                    if code == INVALIDATE_ALL:
                        evict_all()
                    else:
                        evict(code)
        except (RedisError, OSError) as error:
            if subscribed is not None:
                subscribed.clear()
            logger.warning("invalidation channel lost, reconnecting in %.1fs: %s", backoff, error)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _RECONNECT_MAX_S)
