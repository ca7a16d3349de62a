"""Code -> response (a Redirect, or NOT_FOUND), with one Redis round trip per batch of concurrent lookups.

Lookups that miss the local cache are coalesced into a single MGET, with at most one MGET in
flight: misses that arrive while one is out wait for it and share the next, so under load the
batches grow instead of the Redis client's per-command cost.

Codes Redis does not know are read through to Postgres, once per code however many requests
wait on it (singleflight), and written back to Redis with SET NX so a concurrent admin write
always wins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable
from typing import TypeAlias, cast

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from common.linkstore import fetch_records
from common.records import NEGATIVE, NEGATIVE_TTL_S, RECORD_TTL_S, Keys, LinkRecord
from edge import responses
from edge.cache import LocalCache

logger = logging.getLogger("hop.edge.resolver")


class LookupFailed(Exception):
    """Neither Redis nor Postgres could answer and nothing, not even stale, is cached."""


# What a code resolves to, and what the local cache holds: its Redirect, or responses.NOT_FOUND
# for a code known not to redirect (unknown, disabled, expired, out of clicks).
Resolved: TypeAlias = responses.Redirect | responses.StaticResponse


class ResolverStats:
    """Counters the metrics endpoint reads; plain ints, so the hot path pays one add each."""

    __slots__ = ("batch_codes", "batches", "cache_hits", "read_through", "redis_errors", "stale_served")

    def __init__(self) -> None:
        self.cache_hits = 0
        self.batches = 0
        self.batch_codes = 0
        self.read_through = 0
        self.redis_errors = 0
        self.stale_served = 0


class Resolver:
    """Resolves codes for one edge process. ``cached`` is sync; ``fetch`` awaits one batch."""

    def __init__(
        self,
        *,
        redis: Redis,
        pool: asyncpg.Pool,
        keys: Keys,
        cache_ttl: float,
        negative_ttl: float,
        max_entries: int,
    ) -> None:
        self._redis = redis
        self._pool = pool
        self._keys = keys
        self._cache_ttl = cache_ttl
        self._negative_ttl = negative_ttl
        self.cache: LocalCache[Resolved] = LocalCache(max_entries=max_entries)
        self.stats = ResolverStats()
        self._waiting: dict[str, list[asyncio.Future[Resolved]]] = {}
        self._loading: dict[str, asyncio.Future[Resolved]] = {}
        self._dispatch_scheduled = False
        self._mget_in_flight = False
        self._tasks: set[asyncio.Task[None]] = set()

    def cached(self, code: str) -> Resolved | None:
        response = self.cache.get(code)
        if response is not None:
            self.stats.cache_hits += 1
        return response

    async def fetch(self, code: str) -> Resolved:
        """The response for a code the local cache lacks, from the next coalesced batch.

        Raises:
            LookupFailed: when no store answers and nothing stale is cached.
        """
        loop = asyncio.get_running_loop()
        # Each request gets its own future: a cancelled (disconnected) request must not cancel the others.
        future: asyncio.Future[Resolved] = loop.create_future()
        waiters = self._waiting.get(code)
        if waiters is None:
            self._waiting[code] = [future]
        else:
            waiters.append(future)
        if not self._dispatch_scheduled and not self._mget_in_flight:
            self._dispatch_scheduled = True
            loop.call_soon(self._dispatch)
        return await future

    def _dispatch(self) -> None:
        self._dispatch_scheduled = False
        if not self._waiting:
            return
        batch, self._waiting = self._waiting, {}
        self._mget_in_flight = True
        self._spawn(self._resolve_batch(batch))

    def _mget_done(self) -> None:
        self._mget_in_flight = False
        if self._waiting and not self._dispatch_scheduled:
            self._dispatch_scheduled = True
            asyncio.get_running_loop().call_soon(self._dispatch)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve_batch(self, batch: dict[str, list[asyncio.Future[Resolved]]]) -> None:
        try:
            await self._lookup(batch)
        except Exception as error:
            # A bug or a corrupt record must cost a 503, never a request that hangs.
            logger.exception("lookup batch failed")
            for code, waiters in batch.items():
                self._fail(code, waiters, LookupFailed(repr(error)))

    async def _lookup(self, batch: dict[str, list[asyncio.Future[Resolved]]]) -> None:
        codes = list(batch)
        try:
            self.stats.batches += 1
            self.stats.batch_codes += len(codes)
            # create_redis never decodes responses, so values are the stored bytes.
            raws = cast("list[bytes | None]", await self._redis.mget([self._keys.link(code) for code in codes]))
        except (RedisError, OSError) as error:
            self.stats.redis_errors += 1
            logger.warning("redis lookup failed, reading through to postgres: %s", error)
            raws = [None] * len(codes)
        finally:
            # The next batch may go as soon as Redis has answered, before any Postgres read-through.
            self._mget_done()
        missing = []
        for code, raw in zip(codes, raws, strict=True):
            if raw is None:
                missing.append(code)
            else:
                self._settle(batch[code], self._remember(code, None if raw == NEGATIVE else LinkRecord.decode(raw)))
        if missing:
            await self._read_through({code: batch[code] for code in missing})

    def _remember(self, code: str, record: LinkRecord | None) -> Resolved:
        """Cache and return the response for ``code``; None (no redirect) is NOT_FOUND, on the negative TTL."""
        if record is None:
            self.cache.put(code, responses.NOT_FOUND, self._negative_ttl)
            return responses.NOT_FOUND
        redirect = responses.Redirect(record)
        self.cache.put(code, redirect, self._cache_ttl)
        return redirect

    async def _read_through(self, batch: dict[str, list[asyncio.Future[Resolved]]]) -> None:
        loop = asyncio.get_running_loop()
        to_load = [code for code in batch if code not in self._loading]
        for code in to_load:
            self._loading[code] = loop.create_future()
        if to_load:
            self._spawn(self._load(to_load))
        # Take every code's future before the first await: _load pops them from _loading as it
        # finishes, so looking them up one await later fails (KeyError) for all but the first.
        loading = {code: self._loading[code] for code in batch}
        for code, waiters in batch.items():
            try:
                response = await asyncio.shield(loading[code])
            except LookupFailed as error:
                self._fail(code, waiters, error)
            else:
                self._settle(waiters, response)

    async def _load(self, codes: list[str]) -> None:
        self.stats.read_through += len(codes)
        try:
            records = await fetch_records(self._pool, codes)
        except Exception as error:
            # Whatever went wrong, every waiter must be answered: a future left pending is a hung request.
            logger.error("postgres read-through failed for %d codes: %r", len(codes), error)
            for code in codes:
                self._loading.pop(code).set_exception(LookupFailed(code))
            return
        for code, record in records.items():
            self._loading.pop(code).set_result(self._remember(code, record))
        await self._write_back(records.items())

    async def _write_back(self, records: Iterable[tuple[str, LinkRecord | None]]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for code, record in records:
                    if record is None:
                        pipe.set(self._keys.link(code), NEGATIVE, ex=NEGATIVE_TTL_S, nx=True)
                    else:
                        pipe.set(self._keys.link(code), record.encode(), ex=RECORD_TTL_S, nx=True)
                await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("could not write read-through records back to redis: %s", error)

    def _settle(self, waiters: list[asyncio.Future[Resolved]], response: Resolved) -> None:
        for future in waiters:
            if not future.done():
                future.set_result(response)

    def _fail(self, code: str, waiters: list[asyncio.Future[Resolved]], error: LookupFailed) -> None:
        stale = self.cache.get_stale(code)
        for future in waiters:
            if future.done():
                continue
            if stale is not None:
                self.stats.stale_served += 1
                future.set_result(stale)
            else:
                future.set_exception(error)

    def invalidate(self, code: str) -> None:
        self.cache.evict(code)

    def invalidate_all(self) -> None:
        self.cache.clear()

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
