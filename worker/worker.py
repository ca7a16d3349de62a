"""`hop worker`: applies every click stream shard to Postgres, exactly once.

Reading: plain XREAD from the cursor stored in Postgres, not consumer groups. The Postgres
cursor has to be the truth anyway (it commits with the clicks), so a group's pending list would
be a second, weaker copy of the same state to reconcile after every crash; and since each shard
has exactly one reader at a time (advisory locks), a group's load balancing buys nothing. After
commit the worker trims the stream up to the applied ID (XTRIM MINID); the edge never trims.

The loop follows arq's worker: its resources (worker.resources) opened at start-up and closed at
shutdown, a pool and Redis client that can be handed in, a heartbeat key with a TTL, one failure
path for poison entries, a burst mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import asyncpg
from redis.exceptions import RedisError

from common.edge_sync import replay_pending, sync_links
from common.persistence import report_persistence
from common.redis import RedisClient, XReadReply, connect, keys_for
from common.settings import WorkerSettings
from worker import heartbeat
from worker.apply import Applied, CursorMoved, apply_entries, record_poison
from worker.entries import Entry, read_entry
from worker.gaps import Gap, record_gap
from worker.metrics import WorkerMetrics
from worker.orphans import delete_expired as delete_expired_orphans
from worker.partitions import fail_expired, oldest_kept
from worker.resources import WorkerResources, open_resources
from worker.streams import stream_reader
from worker.webhooks import DELIVERY_LOG_DAYS

logger = logging.getLogger("hop.worker")

MAX_CLICKS_PER_TRANSACTION: Final = 20_000  # bounds a transaction's time and memory; entries hold <= 2,000
REBALANCE_EVERY_S: Final = 2.0
HOUSEKEEPING_EVERY_S: Final = 300.0
STATS_EVERY_S: Final = 10.0
# The garbage collector's generation thresholds while a worker runs (Python's default: 700, 10, 10). A read
# holds up to 200,000 clicks' objects, none in a cycle; at the default the collector rescans them over and
# over, a sixth of the worker's CPU (bench/NOTES.md, "The click worker").
GC_THRESHOLDS: Final = (20_000, 20, 20)
RETRY_FIRST_S: Final = 0.1
RETRY_MAX_S: Final = 5.0
# Postgres refuses these for the data, not for its own state: retrying cannot help, so the
# entry is isolated and recorded as failed. Everything else is retried (never dropped).
POISON_ERRORS: Final = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)
TRANSIENT_ERRORS: Final = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)

# One XREAD decoded and enriched: per shard, its entries in stream order.
Prepared = list[tuple[int, list[Entry]]]


@dataclass(slots=True)
class WorkerStats:
    """What a worker has done since it started (``Worker.run`` returns it)."""

    clicks: int = 0
    entries: int = 0
    transactions: int = 0
    duplicate_batches: int = 0
    unknown_links: int = 0
    orphan_visits: int = 0
    failed: int = 0
    max_lag_ms: int = 0  # oldest click's age at commit, since the last stats line


class Worker:
    """Applies click batches until stopped (or, with ``burst``, until the streams are empty).

    ``pool`` and ``redis`` are opened by the worker unless given, as arq does; a given pool must
    come from ``worker.resources.open_worker_pool`` (the worker's inet codec), a given Redis client
    must answer bytes and, unless ``burst``, wait longer than ``worker_block_ms`` for a reply. Both
    stay open for their owner. ``metrics`` defaults to the process's ``worker_metrics()``.
    """

    def __init__(
        self,
        settings: WorkerSettings,
        *,
        pool: asyncpg.Pool | None = None,
        redis: RedisClient | None = None,
        metrics: WorkerMetrics | None = None,
        burst: bool = False,
    ) -> None:
        self.settings = settings
        self.burst = burst
        self.stats = WorkerStats()
        self.name = heartbeat.worker_name()
        self._given_pool = pool
        self._given_redis = redis
        self._given_metrics = metrics
        self._resources: WorkerResources | None = None
        self._stopping = False
        self._last_turn = time.monotonic()
        self._cursors: dict[int, str] = {}

    @property
    def _res(self) -> WorkerResources:
        if self._resources is None:
            raise RuntimeError("the worker's resources are open only while it runs")
        return self._resources

    def _ready(self) -> bool:
        # Called from the metrics server's thread: ready while the loop keeps turning.
        return time.monotonic() - self._last_turn < heartbeat.HEARTBEAT_TTL_S

    def stop(self) -> None:
        """Stop reading new entries; the transaction in flight finishes (see ``run``)."""
        if not self._stopping:
            logger.info("stopping: finishing the current transaction")
        self._stopping = True

    async def run(self) -> WorkerStats:
        """Run until ``stop`` (SIGTERM/SIGINT) or, in burst mode, until every stream is drained."""
        disarm = self._handle_signals()
        gc_before = gc.get_threshold()
        gc.freeze()  # what start-up loaded stays: the collector need not scan it again
        gc.set_threshold(*GC_THRESHOLDS)
        burst_note = ", burst" if self.burst else ""
        try:
            async with open_resources(
                self.settings,
                name=self.name,
                ready=self._ready,
                pool=self._given_pool,
                redis=self._given_redis,
                metrics=self._given_metrics,
            ) as resources:
                self._resources = resources
                await report_persistence(resources.redis, self.settings, logger)
                logger.info("worker %s started (%d shards%s)", self.name, self.settings.click_shards, burst_note)
                # Burst mode drains the streams and exits: deliveries wait for a long-running worker.
                sender = None if self.burst else asyncio.create_task(resources.webhooks.run(), name="hop-webhooks")
                try:
                    await self._loop()
                finally:
                    if sender is not None:
                        sender.cancel()
                        await asyncio.gather(sender, return_exceptions=True)
                    # Shutdown order: 1. reading stopped (loop left); 2. the transaction in flight
                    # finished or was cancelled; 3. the grace period disarmed, so that it cannot cut
                    # short 4. the release of locks, heartbeat and Redis, then the pool (open_resources).
                    disarm()
        finally:
            disarm()  # when start-up failed
            gc.set_threshold(*gc_before)
            gc.unfreeze()
            self._resources = None
            self._log_stats("stopped")
        return self.stats

    def _handle_signals(self) -> Callable[[], None]:
        """Make SIGTERM/SIGINT stop the worker; returns what disarms the grace period they start."""
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        cancel_handle: asyncio.TimerHandle | None = None

        def on_signal() -> None:
            nonlocal cancel_handle
            self.stop()
            # After the grace period an unfinished transaction is cancelled; it rolls back, and
            # the cursor guarantees the next worker applies it again.
            if cancel_handle is None and main is not None:
                cancel_handle = loop.call_later(self.settings.shutdown_grace, main.cancel)

        def disarm() -> None:
            if cancel_handle is not None:
                cancel_handle.cancel()

        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, on_signal)
        return disarm

    async def _loop(self) -> None:
        """Read, enrich, apply; reading and enriching the next entries while Postgres commits these.

        The read position runs ahead of the committed cursor by at most one read. When a commit
        does not go as expected (another worker moved the cursor, or we are stopping), what was
        read ahead is dropped and reading restarts from the committed cursor.
        """
        due: dict[str, float] = {}
        backoff = RETRY_FIRST_S
        in_flight: asyncio.Task[bool] | None = None
        read_from: dict[int, str] = {}
        block_ms = None if self.burst else self.settings.worker_block_ms
        reader = stream_reader(
            self._res.redis, self._res.keys, count=self.settings.worker_batch_size, block_ms=block_ms
        )
        try:
            while not self._stopping:
                self._last_turn = time.monotonic()
                try:
                    did_read = bool(read_from)
                    response = await reader.read(read_from) if did_read else None
                    backoff = RETRY_FIRST_S
                    prepared = self._prepare(response)
                    if in_flight is not None:
                        task, in_flight = in_flight, None
                        if not await task:
                            read_from = dict(self._cursors)
                            continue  # drop what was read ahead of a commit that did not happen
                    owned_before = set(self._cursors)
                    await self._periodic(due)
                    if set(self._cursors) != owned_before or not read_from:
                        read_from = dict(self._cursors)
                        prepared = [(shard, entries) for shard, entries in prepared if shard in read_from]
                except (RedisError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                    logger.warning("stores unreachable, retrying in %.1fs: %s", backoff, error)
                    # Let the commit in flight settle, so the cursors below are the final ones.
                    await _settle(in_flight)
                    in_flight = None
                    read_from = dict(self._cursors)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, RETRY_MAX_S)
                    continue
                if not prepared:
                    if self.burst and did_read and response is None and in_flight is None:
                        return  # drained: an empty read after the last commit
                    if not self._cursors:
                        await asyncio.sleep(self.settings.worker_block_ms / 1000)
                    continue
                for shard, entries in prepared:
                    read_from[shard] = entries[-1].stream_id
                in_flight = asyncio.create_task(self._apply_prepared(prepared))
        finally:
            await reader.close()
            if in_flight is not None:
                # Stopping: the transaction in flight finishes (run() cancels it after the grace period).
                try:
                    await in_flight
                except asyncio.CancelledError:
                    in_flight.cancel()
                    raise

    def _prepare(self, response: XReadReply | None) -> Prepared:
        """Decode and enrich an XREAD answer (CPU work, done while the previous commit is in flight)."""
        shards = self._res.shards_by_stream
        enricher = self._res.enricher
        prepared = []
        for stream, items in response or []:
            if items:
                prepared.append(
                    (shards[stream], [read_entry(stream_id, fields, enricher) for stream_id, fields in items])
                )
        return prepared

    async def _apply_prepared(self, prepared: Prepared) -> bool:
        """Apply every shard's entries; False when a shard must be re-read from its stored cursor."""
        ok = True
        for shard, entries in prepared:
            if shard in self._cursors:
                ok = await self._apply_shard(shard, entries) and ok
        return ok

    async def _periodic(self, due: dict[str, float]) -> None:
        """Heartbeat, shard rebalance, housekeeping and the stats line, each when it is due."""
        now = time.monotonic()
        leases = self._res.leases
        if now >= due.get("beat", 0.0) and not self.burst:
            await heartbeat.beat(self._res.redis, self._res.keys, self.name, shards=sorted(leases.owned))
            due["beat"] = now + heartbeat.HEARTBEAT_EVERY_S
        if now >= due.get("rebalance", 0.0):
            # Burst mode drains everything it can; a long-running worker takes its fair share.
            await self._take_shards(await leases.rebalance(live_workers=1 if self.burst else None))
            due["rebalance"] = now + REBALANCE_EVERY_S
        if now >= due.get("housekeeping", 0.0):
            await self._housekeeping()
            due["housekeeping"] = now + HOUSEKEEPING_EVERY_S
        if now >= due.get("edge_sync", 0.0):
            # Link changes whose write-through failed (Redis was down) reach Redis once it answers.
            await replay_pending(pool=self._res.pool, redis=self._res.redis, keys=self._res.keys)
            due["edge_sync"] = now + self.settings.edge_sync_replay_interval
        if now >= due.get("stats", 0.0) and not self.burst:
            self._log_stats("clicks")
            due["stats"] = now + STATS_EVERY_S

    async def _take_shards(self, owned: set[int]) -> None:
        for shard in set(self._cursors) - owned:
            del self._cursors[shard]
        new = owned - set(self._cursors)
        if new:
            # A shard just taken may have been advanced by its previous owner: read where it stands.
            rows = await self._res.pool.fetch(
                "SELECT shard, last_id FROM stream_cursors WHERE shard = ANY($1::int[])", sorted(new)
            )
            self._cursors.update({row["shard"]: row["last_id"] for row in rows})

    async def _apply_shard(self, shard: int, entries: list[Entry]) -> bool:
        # Every month a click needs gets its partition, however old, unless retention would drop it.
        months = fail_expired(entries, retention_months=self.settings.click_retention_months)
        await self._res.partitions.ensure(self._res.pool, months)
        for group in _groups(entries):
            if not await self._apply_group(shard, group):
                return False
        return True

    async def _apply_group(self, shard: int, group: list[Entry]) -> bool:
        """Apply a group, retrying what may succeed later; False means re-read the shard first."""
        backoff = RETRY_FIRST_S
        started = time.monotonic()
        while True:
            cursor = self._cursors[shard]
            try:
                async with self._res.pool.acquire() as conn:
                    applied = await apply_entries(conn, shard=shard, expected_cursor=cursor, entries=group)
                break
            except CursorMoved as moved:
                # Another worker got there first, or our own COMMIT went through before the
                # connection broke: either way the stored cursor is the truth.
                logger.info("%s; continuing from the stored cursor", moved)
                if moved.found is None:
                    return False
                self._cursors[shard] = moved.found
                return False
            except POISON_ERRORS as error:
                return await self._isolate_poison(shard, group, error=error)
            except TRANSIENT_ERRORS as error:
                if self._stopping:
                    return False  # nothing was committed; the next worker applies it
                logger.warning("applying shard %d failed, retrying in %.1fs: %s", shard, backoff, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RETRY_MAX_S)
        self._cursors[shard] = applied.last_id
        await self._trim(shard, previous=cursor, group=group)
        await self._after_commit(shard, applied, entries=len(group), seconds=time.monotonic() - started)
        return True

    async def _isolate_poison(self, shard: int, group: list[Entry], *, error: Exception) -> bool:
        if len(group) > 1:
            # Find the culprit: apply the entries one by one, so the good ones still count.
            for entry in group:
                if not await self._apply_group(shard, [entry]):
                    return False
            return True
        entry = group[0]
        logger.error("shard %d entry %s rejected by postgres, recorded as failed: %s", shard, entry.stream_id, error)
        cursor = self._cursors[shard]
        try:
            async with self._res.pool.acquire() as conn:
                await record_poison(conn, shard=shard, expected_cursor=cursor, entry=entry, error=str(error))
        except CursorMoved as moved:
            if moved.found is not None:
                self._cursors[shard] = moved.found
            return False
        except TRANSIENT_ERRORS:
            return False  # the next read retries the entry
        self._cursors[shard] = entry.stream_id
        await self._trim(shard, previous=cursor, group=group)
        self.stats.failed += entry.size
        self._res.metrics.failed()
        return True

    async def _after_commit(self, shard: int, applied: Applied, *, entries: int, seconds: float) -> None:
        stats = self.stats
        stats.clicks += applied.clicks
        stats.entries += entries
        stats.transactions += 1
        stats.duplicate_batches += applied.duplicate_batches
        stats.unknown_links += applied.unknown_links
        stats.orphan_visits += applied.orphan_visits
        stats.failed += applied.failed
        lag_ms = 0 if applied.oldest_ms is None else time.time_ns() // 1_000_000 - applied.oldest_ms
        stats.max_lag_ms = max(stats.max_lag_ms, lag_ms)
        metrics = self._res.metrics
        metrics.applied(shard=shard, clicks=applied.clicks, seconds=seconds, lag_seconds=lag_ms / 1000)
        if applied.failed:
            metrics.failed(applied.failed)
        await self._res.feed.publish(applied)
        if applied.exhausted_keys:
            # The links reached max_clicks: stop the edge redirecting them now, not at cache expiry
            # (the commit queued them, so the replay retries if Redis refuses).
            res = self._res
            await sync_links(pool=res.pool, redis=res.redis, keys=res.keys, edge_keys=applied.exhausted_keys)
            logger.info("links out of clicks, tombstoned at the edge: %s", ", ".join(applied.exhausted_keys))

    async def _trim(self, shard: int, *, previous: str, group: list[Entry]) -> None:
        """Trim what the commit over ``group`` covered; a gap found on the way is recorded."""
        try:
            gap = await self._res.trims.trim(
                shard=shard,
                previous=previous,
                applied=self._cursors[shard],
                entries=len(group),
                first=group[0].stream_id,
            )
        except (RedisError, OSError) as error:
            logger.warning("trimming shard %d failed (the next trim covers it): %s", shard, error)
            return
        if gap is not None:
            await self._record_gap(gap)

    async def _record_gap(self, gap: Gap) -> None:
        try:
            await record_gap(self._res.pool, gap)
        except TRANSIENT_ERRORS as error:
            # Already logged and counted: the row is the durable copy, not the only one.
            logger.warning("could not record the gap in click_stream_gaps: %s", error)

    async def _housekeeping(self) -> None:
        pool = self._res.pool
        partitions = self._res.partitions
        await partitions.ensure_ahead(pool)
        await partitions.drop_expired(pool, retention_months=self.settings.click_retention_months)
        # An edge re-sends a batch within seconds; a day of ids is a wide margin.
        await pool.execute("DELETE FROM applied_batches WHERE applied_at < now() - interval '1 day'")
        first_kept = oldest_kept(self.settings.click_retention_months)
        await delete_expired_orphans(pool, before=datetime(first_kept.year, first_kept.month, 1, tzinfo=UTC))
        # The delivery log is for looking back on recent trouble; a pending delivery is out of attempts
        # within days (at most HOP_WEBHOOK_MAX_ATTEMPTS doublings, each capped at 6 h).
        await pool.execute(
            f"DELETE FROM webhook_deliveries WHERE created_at < now() - interval '{DELIVERY_LOG_DAYS} days'"
        )

    def _log_stats(self, label: str) -> None:
        stats = self.stats
        logger.info(
            "%s ◆ %d applied ◆ %d entries ◆ %d duplicate batches ◆ %d failed ◆ %d unknown links ◆ %d orphan visits"
            " ◆ max lag %d ms ◆ shards %s",
            label,
            stats.clicks,
            stats.entries,
            stats.duplicate_batches,
            stats.failed,
            stats.unknown_links,
            stats.orphan_visits,
            stats.max_lag_ms,
            sorted(self._cursors),
        )
        stats.max_lag_ms = 0


def _groups(entries: list[Entry]) -> list[list[Entry]]:
    groups: list[list[Entry]] = [[]]
    size = 0
    for entry in entries:
        if groups[-1] and size + entry.size > MAX_CLICKS_PER_TRANSACTION:
            groups.append([])
            size = 0
        groups[-1].append(entry)
        size += entry.size
    return [group for group in groups if group]


async def _settle(task: asyncio.Task[bool] | None) -> None:
    """Wait for a commit in flight whatever its outcome (it retries and logs its own errors)."""
    if task is not None:
        with contextlib.suppress(Exception):
            await task


async def check_health(settings: WorkerSettings) -> int:
    """Exit status for a container probe: 0 when a worker on this host has a live heartbeat."""
    client = connect(settings, socket_connect_timeout=2.0, socket_timeout=2.0)
    try:
        alive = await heartbeat.local_worker_alive(client, keys_for(settings))
    except (RedisError, OSError):
        alive = False
    finally:
        await client.aclose()
    return 0 if alive else 1
