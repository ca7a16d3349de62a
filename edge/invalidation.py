"""Listens on the invalidation channel and evicts changed links from the local cache.

Admin publishes a link's edge key after every change to it (in a Redis Cluster, the keys of one
write-through in one message, space-separated), ``*`` when many links change at once (a user
disabled), or ``!domains`` when the short domains changed. Classic pub/sub reaches every node of a
cluster, so subscribing on any node hears all. After a (re)connection the whole cache is dropped
and the domains reloaded, since messages sent while we were away are lost.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from common.domains import DOMAINS_CHANGED
from common.records import INVALIDATE_ALL
from common.redis import RedisClient, is_cluster

logger = logging.getLogger("hop.edge.invalidation")

_RECONNECT_FIRST_S = 0.1
_RECONNECT_MAX_S = 2.0


async def listen_for_invalidations(
    redis: RedisClient,
    channel: str,
    *,
    evict: Callable[[str], None],
    evict_all: Callable[[], None],
    domains_changed: Callable[[], None] = lambda: None,
    subscribed: asyncio.Event | None = None,
) -> None:
    """Runs until cancelled, reconnecting with backoff."""
    backoff = _RECONNECT_FIRST_S
    for attempt in itertools.count():
        try:
            async with await _pubsub(redis, attempt) as pubsub:
                await pubsub.subscribe(channel)
                evict_all()
                domains_changed()
                if subscribed is not None:
                    subscribed.set()
                backoff = _RECONNECT_FIRST_S
                async for message in pubsub.listen():
                    # One edge key, or (from a cluster's writers) several separated by spaces.
                    for key in message["data"].decode().split(" "):
                        if key == INVALIDATE_ALL:
                            evict_all()
                        elif key == DOMAINS_CHANGED:
                            domains_changed()
                        else:
                            evict(key)
        except Exception as error:
            # Whatever went wrong, a listener that stops leaves stale links cached: it reconnects.
            if subscribed is not None:
                subscribed.clear()
            expected = isinstance(error, (RedisError, OSError))
            logger.warning(
                "invalidation channel lost, reconnecting in %.1fs: %s", backoff, error, exc_info=not expected
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _RECONNECT_MAX_S)


async def _pubsub(redis: RedisClient, attempt: int) -> PubSub:
    if not is_cluster(redis):
        return redis.pubsub(ignore_subscribe_messages=True)
    # Classic pub/sub is broadcast over the cluster bus, so any node, replicas included, hears every
    # message. Each reconnection tries the next node: a dead one is left behind at once.
    await redis.initialize()  # the node list; a no-op once the client has it
    nodes = redis.get_nodes()
    return redis.pubsub(node=nodes[attempt % len(nodes)], ignore_subscribe_messages=True)
