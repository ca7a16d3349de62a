"""Click limits enforced at the edge: one atomic Redis counter per click-limited link.

A link with ``max_clicks`` redirects only after the edge has claimed a use: ``INCRBY`` on
``{prefix}used:{code}:{link id}`` and a redirect only when the count it returns is within the
limit. The counter is shared by every edge process, so the limit is exact, whatever the number
of processes. Claims that arrive together are sent together: one pipeline per batch, one
``INCRBY`` per code in it, at most one pipeline in flight (as the resolver's MGET).

An absent counter is seeded with ``SET NX`` from the click count Postgres had when the record
was written (the record carries it): after a FLUSHALL the read-through brings a fresh record and
so a fresh count. Every claim refreshes the counter's TTL; one left alone for ``USED_TTL_S`` goes,
and by then Postgres holds every click, so the seed is exact again. Unlimited links never come here.
"""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import RedisError

from common.records import USED_TTL_S
from common.redis import RedisClient
from edge.responses import LimitedRedirect

logger = logging.getLogger("hop.edge.limits")


class ClaimFailed(Exception):
    """Redis did not answer: the use cannot be counted, so the link does not redirect (503)."""


class LimitStats:
    __slots__ = ("claims", "refused")

    def __init__(self) -> None:
        self.claims = 0  # uses asked for
        self.refused = 0  # past the limit: answered 404


class _Counter:
    """The claims waiting for one counter in the next pipeline."""

    __slots__ = ("claims", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.claims: list[tuple[asyncio.Future[bool], int]] = []  # (answer, max_clicks)


class ClickLimiter:
    """Claims uses of click-limited links for one edge process."""

    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self.stats = LimitStats()
        self._waiting: dict[str, _Counter] = {}
        self._in_flight = False
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def claim(self, link: LimitedRedirect) -> bool:
        """True when this request may redirect: its use is within the link's limit.

        Raises:
            ClaimFailed: Redis could not count it.
        """
        self.stats.claims += 1
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        counter = self._waiting.get(link.counter_key)
        if counter is None:
            counter = self._waiting[link.counter_key] = _Counter(link.seed)
        counter.claims.append((future, link.max_clicks))
        self._schedule()
        allowed = await future
        if not allowed:
            self.stats.refused += 1
        return allowed

    def _schedule(self) -> None:
        if not self._scheduled and not self._in_flight and self._waiting:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._dispatch)

    def _dispatch(self) -> None:
        self._scheduled = False
        batch, self._waiting = self._waiting, {}
        self._in_flight = True
        task = asyncio.ensure_future(self._send(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: dict[str, _Counter]) -> None:
        try:
            counts = await self._count(batch)
        except (RedisError, OSError) as error:
            logger.warning("click-limit counters unreachable, %d link(s) answer 503: %s", len(batch), error)
            for counter in batch.values():
                _answer_all(counter, ClaimFailed(str(error)))
        except Exception as error:
            # A bug must cost a 503, never a request that waits forever on its future.
            logger.exception("click-limit claim failed")
            for counter in batch.values():
                _answer_all(counter, ClaimFailed(repr(error)))
        else:
            for counter, total in zip(batch.values(), counts, strict=True):
                _answer(counter, total)
        finally:
            self._in_flight = False
            self._schedule()

    async def _count(self, batch: dict[str, _Counter]) -> list[int]:
        """The counters' values after adding this batch's claims, in batch order."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, counter in batch.items():
                pipe.set(key, counter.seed, nx=True, ex=USED_TTL_S)
                pipe.incrby(key, len(counter.claims))
                pipe.expire(key, USED_TTL_S)
            replies = await pipe.execute()
        return [int(reply) for reply in replies[1::3]]

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _answer(counter: _Counter, total: int) -> None:
    # The claims got the uses total-n+1 .. total, in arrival order; each is allowed within its limit.
    first = total - len(counter.claims) + 1
    for index, (future, max_clicks) in enumerate(counter.claims):
        if not future.done():
            future.set_result(first + index <= max_clicks)


def _answer_all(counter: _Counter, error: Exception) -> None:
    for future, _ in counter.claims:
        if not future.done():
            future.set_exception(error)
