"""Code -> response (a Redirect, or NOT_FOUND), with one Redis round trip per batch of concurrent lookups.

Lookups that miss the local cache are coalesced into a single MGET, with at most one MGET in
flight: misses that arrive while one is out wait for it and share the next, so under load the
batches grow instead of the Redis client's per-command cost.

Codes Redis does not know are read through to Postgres, once per code however many requests
wait on it (singleflight), and written back to Redis with SET NX so a concurrent admin write
always wins. The MGET also reads the completeness marker (common/linksync.py): while it says
Redis holds every servable link, a code Redis does not know is unknown, and Postgres is not asked.

Each record is decoded and checked once, when it arrives (common/records.LinkRecord.decode): a
record that is not one (malformed) reads through to Postgres like an absent one, and a record
that would redirect anywhere but http(s), or with a status that is not a redirect (unsafe), is a
404. Either way it concerns its own code only, never the rest of its batch.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Iterable, Sequence
from typing import TypeAlias, cast

import asyncpg

from common.linkstore import fetch_records
from common.linksync import marker_trusted
from common.records import NEGATIVE, NEGATIVE_TTL_S, RECORD_TTL_S, Keys, LinkRecord, RecordRejected
from common.redis import CONNECTION_FAILURES, RedisClient, is_cluster
from edge import responses
from edge.cache import LocalCache
from edge.previews import PreviewLink
from edge.routes import RoutedRedirect

logger = logging.getLogger("hop.edge.resolver")


class LookupFailed(Exception):
    """Neither Redis nor Postgres could answer and nothing, not even stale, is cached."""


# What a code resolves to, and what the local cache holds: its Redirect, or responses.NOT_FOUND
# for a code known not to redirect (unknown, disabled, expired, out of clicks).
Resolved: TypeAlias = (
    responses.Redirect
    | responses.LimitedRedirect
    | RoutedRedirect
    | responses.ProtectedLink
    | PreviewLink
    | responses.StaticResponse
)

# Codes whose rejected record was logged, per process; past this many the set starts over.
_REPORTED_MAX = 1_024


class ResolverStats:
    """Counters the metrics endpoint reads; plain ints, so the hot path pays one add each."""

    __slots__ = (
        "batch_codes",
        "batches",
        "cache_hits",
        "complete_misses",
        "read_through",
        "redis_errors",
        "rejected_malformed",
        "rejected_unsafe",
        "stale_served",
    )

    def __init__(self) -> None:
        self.cache_hits = 0
        self.batches = 0
        self.batch_codes = 0
        self.read_through = 0
        self.redis_errors = 0
        self.stale_served = 0
        self.complete_misses = 0  # absent from a complete Redis: 404 without Postgres
        self.rejected_malformed = 0
        self.rejected_unsafe = 0


class Resolver:
    """Resolves codes for one edge process. ``cached`` is sync; ``fetch`` awaits one batch."""

    def __init__(
        self,
        *,
        redis: RedisClient,
        pool: asyncpg.Pool,
        keys: Keys,
        cache_ttl: float,
        negative_ttl: float,
        max_entries: int,
        record_ttl: int = RECORD_TTL_S,
    ) -> None:
        self._redis = redis
        # A cluster answers MGET only within one slot: there, one MGET per slot, pipelined per node
        # (one round trip to each node the batch touches, all nodes at once).
        self._mget = redis.mget_nonatomic if is_cluster(redis) else redis.mget
        self._pool = pool  # read-through only: the primary, or a replica (then a short ``record_ttl``)
        self._record_ttl = record_ttl
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
        self._reported: dict[str, int] = {}  # code -> hash of the rejected value last logged

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
            # The marker rides in the same MGET: knowing that Redis is complete costs no round trip.
            names = [self._keys.links_complete, *(self._keys.link(code) for code in codes)]
            # create_redis never decodes responses, so values are the stored bytes.
            marker, *raws = cast("list[bytes | None]", await self._mget(names))
        except CONNECTION_FAILURES as error:
            self.stats.redis_errors += 1
            logger.warning("redis lookup failed, reading through to postgres: %s", error)
            marker, raws = None, [None] * len(codes)
        finally:
            # The next batch may go as soon as Redis has answered, before any Postgres read-through.
            self._mget_done()
        complete = marker_trusted(marker)
        missing = []
        for code, raw in zip(codes, raws, strict=True):
            response = self._from_redis(code, raw, complete=complete)
            if response is None:
                missing.append(code)
            else:
                self._settle(batch[code], response)
        if missing:
            await self._read_through({code: batch[code] for code in missing})

    def _from_redis(self, code: str, raw: bytes | None, *, complete: bool) -> Resolved | None:
        """What Redis says about ``code``, or None when Postgres must be asked."""
        if raw is None:
            if not complete:
                return None
            self.stats.complete_misses += 1
            return self._remember(code, None)
        if raw == NEGATIVE:
            return self._remember(code, None)
        try:
            record = LinkRecord.decode(raw)
        except RecordRejected as rejected:
            self._count_rejected(code, raw, rejected)
            # Malformed: Postgres is the truth. Unsafe: well-formed but never to be served, so a 404.
            return None if rejected.reason == "malformed" else self._remember(code, None)
        return self._remember(code, record)

    def _count_rejected(self, code: str, raw: bytes, rejected: RecordRejected) -> None:
        if rejected.reason == "malformed":
            self.stats.rejected_malformed += 1
        else:
            self.stats.rejected_unsafe += 1
        # Logged once per value and process: the cache asks again every TTL, the log needs it once.
        digest = hash(raw)
        if self._reported.get(code) == digest:
            return
        if len(self._reported) >= _REPORTED_MAX:
            self._reported.clear()
        self._reported[code] = digest
        logger.warning("refusing the redis record of %r (%s): %s", code, rejected.reason, rejected)

    def _remember(self, code: str, record: LinkRecord | None) -> Resolved:
        """Cache and return the response for ``code``; None (no redirect) is NOT_FOUND, on the negative TTL."""
        if record is None:
            self.cache.put(code, responses.NOT_FOUND, self._negative_ttl)
            return responses.NOT_FOUND
        plain = responses.Redirect(record)
        routed = plain if record.routing is None else RoutedRedirect(record, record.routing, plain)
        inner: responses.Redirect | RoutedRedirect | responses.LimitedRedirect = routed
        if record.max_clicks is not None:
            inner = responses.LimitedRedirect(record, routed, counter_key=self._keys.used(code, record.link_id))
        redirect: Resolved = inner
        if record.password_hash is not None:
            redirect = responses.ProtectedLink(record, inner)  # crawlers get the form, not the preview
        elif record.preview is not None:
            redirect = PreviewLink(record, record.preview, inner)
        self.cache.put(code, redirect, self._cache_ttl)
        return redirect

    async def preload(self, codes: Sequence[str]) -> int:
        """Cache what Redis holds for ``codes`` (one MGET), as a lookup would; returns how many were
        cached. Codes Redis lacks are left to their first request. Not counted as lookups.

        Raises:
            common.redis.CONNECTION_FAILURES: the MGET failed.
        """
        raws = cast("list[bytes | None]", await self._mget([self._keys.link(code) for code in codes]))
        cached = 0
        for code, raw in zip(codes, raws, strict=True):
            response = None if raw is None else self._from_redis(code, raw, complete=False)
            if response is not None:
                # Lives spread over the second half of one TTL: entries cached in one instant would all
                # expire in one instant, and thousands of misses at once cost more than the warm-up saved.
                self.cache.put(code, response, self._cache_ttl * (0.5 + random.random() / 2))
                cached += 1
        return cached

    def refuse(self, code: str) -> None:
        """Remember ``code`` as not redirecting, for the negative TTL (a click-limited link used up)."""
        self.cache.put(code, responses.NOT_FOUND, self._negative_ttl)

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
                        pipe.set(self._keys.link(code), record.encode(), ex=self._record_ttl, nx=True)
                await pipe.execute()
        except CONNECTION_FAILURES as error:
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
