"""Code -> Redirect, with one Redis round trip per batch of concurrent lookups.

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
from collections.abc import Iterable

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from common.linkstore import fetch_records
from common.records import NEGATIVE, NEGATIVE_TTL_S, RECORD_TTL_S, Keys, LinkRecord
from edge.cache import LocalCache
from edge.redirect import Redirect

logger = logging.getLogger("hop.edge.resolver")


class LinkNotFound(Exception):
    """The code is unknown, disabled, expired or out of clicks."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class LookupFailed(Exception):
    """Neither Redis nor Postgres could answer and nothing, not even stale, is cached."""


# The local cache holds a Redirect, or NOT_FOUND for codes known not to redirect.
class _NotFound:
    __slots__ = ()


NOT_FOUND = _NotFound()
Entry = Redirect | _NotFound


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
        self.cache: LocalCache[Entry] = LocalCache(max_entries=max_entries)
        self.stats = ResolverStats()
        self._waiting: dict[str, list[asyncio.Future[Entry]]] = {}
        self._loading: dict[str, asyncio.Future[Entry]] = {}
        self._dispatch_scheduled = False
        self._mget_in_flight = False
        self._tasks: set[asyncio.Task[None]] = set()

    def cached(self, code: str) -> Entry | None:
        entry = self.cache.get(code)
        if entry is not None:
            self.stats.cache_hits += 1
        return entry

    async def fetch(self, code: str) -> Entry:
        """The entry for a code the local cache lacks, from the next coalesced batch.

        Raises:
            LookupFailed: when no store answers and nothing stale is cached.
        """
        loop = asyncio.get_running_loop()
        # Each request gets its own future: a cancelled (disconnected) request must not cancel the others.
        future: asyncio.Future[Entry] = loop.create_future()
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

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve_batch(self, batch: dict[str, list[asyncio.Future[Entry]]]) -> None:
        try:
            await self._lookup(batch)
        except Exception as error:
            # A bug or a corrupt record must cost a 503, never a request that hangs.
            logger.exception("lookup batch failed")
            for code, waiters in batch.items():
                self._fail(code, waiters, LookupFailed(repr(error)))

    async def _lookup(self, batch: dict[str, list[asyncio.Future[Entry]]]) -> None:
        codes = list(batch)
        try:
            self.stats.batches += 1
            self.stats.batch_codes += len(codes)
            raws = await self._redis.mget([self._keys.link(code) for code in codes])
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
                self._settle(code, batch[code], self._entry_from_raw(code, raw))
        if missing:
            await self._read_through({code: batch[code] for code in missing})

    def _entry_from_raw(self, code: str, raw: bytes) -> Entry:
        entry: Entry = NOT_FOUND if raw == NEGATIVE else Redirect(LinkRecord.decode(raw))
        self.cache.put(code, entry, self._negative_ttl if entry is NOT_FOUND else self._cache_ttl)
        return entry

    async def _read_through(self, batch: dict[str, list[asyncio.Future[Entry]]]) -> None:
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
                entry = await asyncio.shield(loading[code])
            except LookupFailed as error:
                self._fail(code, waiters, error)
            else:
                self._settle(code, waiters, entry)

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
            entry: Entry = NOT_FOUND if record is None else Redirect(record)
            self.cache.put(code, entry, self._negative_ttl if entry is NOT_FOUND else self._cache_ttl)
            self._loading.pop(code).set_result(entry)
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

    def _settle(self, code: str, waiters: list[asyncio.Future[Entry]], entry: Entry) -> None:
        for future in waiters:
            if not future.done():
                future.set_result(entry)

    def _fail(self, code: str, waiters: list[asyncio.Future[Entry]], error: LookupFailed) -> None:
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
