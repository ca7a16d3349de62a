"""Publishing counted clicks to the live feed of the accounts someone watches (common/click_feed.py).

Runs after a transaction commits: one ZRANGE for the watched accounts, then one pipeline with an
XADD per watched account that has clicks in the transaction. A Redis error is logged and the feed
misses those clicks; the worker never waits on, or retries for, the feed.
"""

from __future__ import annotations

import logging
import time

import orjson
from redis.exceptions import RedisError

from common.click_feed import FEED_FIELD, FEED_MAXLEN, FeedClick, feed_owner
from common.records import Keys
from common.redis import RedisClient
from worker.apply import Applied
from worker.published import clicks_by_owner

logger = logging.getLogger("hop.worker.feed")


class FeedPublisher:
    __slots__ = ("_keys", "_redis", "published")

    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self.published = 0  # clicks handed to the feed, for tests and the log

    async def publish(self, applied: Applied) -> None:
        if not applied.clicks:
            return
        try:
            watched = await self._watched()
            feeds = _feeds(applied, watched) if watched else {}
            if not feeds:
                return
            async with self._redis.pipeline(transaction=False) as pipe:
                for owner, clicks in feeds.items():
                    fields = {FEED_FIELD: orjson.dumps(clicks)}
                    pipe.xadd(self._keys.feed(owner), fields, maxlen=FEED_MAXLEN, approximate=True)  # type: ignore[arg-type]
                await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("live feed: %d clicks not published: %s", applied.clicks, error)
            return
        self.published += sum(len(clicks) for clicks in feeds.values())

    async def _watched(self) -> set[str]:
        now_ms = time.time_ns() // 1_000_000
        members = await self._redis.zrange(self._keys.feed_watched, now_ms, "+inf", byscore=True)
        return {member.decode() for member in members if isinstance(member, bytes)}


def _feeds(applied: Applied, watched: set[str]) -> dict[str, list[FeedClick]]:
    """The transaction's counted clicks of watched accounts, per account, in stream order."""
    by_owner = clicks_by_owner(applied.counted, applied.owners, lambda owner: feed_owner(owner) in watched)
    return {feed_owner(owner): clicks for owner, clicks in by_owner.items()}
