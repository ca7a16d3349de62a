"""What a running worker holds, opened at start-up and closed at shutdown in one place.

Like arq's worker, the stores can be handed in (tests share theirs); whatever the worker opens
itself it also closes, and what it was given it leaves open for its owner.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from redis.exceptions import RedisError

from common.db import POOL_CLOSE_TIMEOUT_S, connect_kwargs, require_schema
from common.geoip import GeoIp
from common.metrics import MetricsServer, ReadyCheck
from common.migrate import LATEST_VERSION
from common.records import Keys
from common.redis import RedisClient, connect, keys_for
from common.settings import WorkerSettings
from worker import heartbeat
from worker.enrich import Enricher
from worker.feed import FeedPublisher
from worker.gaps import StreamTrims
from worker.inet import init_worker_connection
from worker.metrics import WorkerMetrics, start_worker_metrics, worker_metrics
from worker.partitions import Partitions
from worker.shards import ShardLeases
from worker.stream_ids import shards_by_stream
from worker.webhooks import WebhookSender, new_client


@dataclass(frozen=True, slots=True)
class WorkerResources:
    """The stores and helpers of one running worker (see ``open_resources``)."""

    pool: asyncpg.Pool  # with the worker's inet codec (see open_worker_pool)
    redis: RedisClient
    keys: Keys
    shards_by_stream: dict[bytes, int]  # click stream name, as XREAD answers it -> shard
    enricher: Enricher
    geoip: GeoIp | None
    leases: ShardLeases
    partitions: Partitions
    trims: StreamTrims  # trims the streams after commits, and finds entries trimmed unapplied
    metrics: WorkerMetrics
    metrics_server: MetricsServer | None
    feed: FeedPublisher  # the live click feed of watched accounts
    webhooks: WebhookSender


@contextlib.asynccontextmanager
async def open_worker_pool(settings: WorkerSettings) -> AsyncIterator[asyncpg.Pool]:
    """An asyncpg pool on Hop's schema with the worker's inet codec (see worker.inet).

    The worker COPYs addresses as Postgres' binary inet, so a pool given to ``Worker`` must be one of these.
    """
    # Like common.db.open_pool, with the worker's own codec.
    pool = await asyncpg.create_pool(
        **connect_kwargs(settings), min_size=1, max_size=4, command_timeout=60, init=init_worker_connection
    )
    try:
        yield pool
    finally:
        await asyncio.shield(asyncio.wait_for(pool.close(), POOL_CLOSE_TIMEOUT_S))


def worker_redis(settings: WorkerSettings) -> RedisClient:
    """The worker's own Redis client; the caller closes it."""
    # XREAD BLOCK holds the socket for block_ms: the read timeout must outlast it.
    return connect(
        settings,
        socket_connect_timeout=2.0,
        socket_timeout=settings.worker_block_ms / 1000 + 5.0,
        health_check_interval=15,
        client_name="hop-worker",
    )


@contextlib.asynccontextmanager
async def open_resources(
    settings: WorkerSettings,
    *,
    name: str,
    ready: ReadyCheck | None = None,
    pool: asyncpg.Pool | None = None,
    redis: RedisClient | None = None,
    metrics: WorkerMetrics | None = None,
) -> AsyncIterator[WorkerResources]:
    """Everything worker ``name`` needs; a bad store or an old schema fails here, at start-up.

    ``pool`` and ``redis`` default to the worker's own (``open_worker_pool``, ``worker_redis``),
    ``metrics`` to the process's ``worker_metrics()``. At exit, in this order: the metrics server
    stops; the shard locks, the heartbeat and Redis are released; the GeoIP database and then the
    pool are closed. Each step runs even when an earlier one failed or the exit was cancelled.
    """
    # The exit stack closes in the reverse of this opening order: the shutdown order above.
    async with contextlib.AsyncExitStack() as stack:
        if pool is None:
            pool = await stack.enter_async_context(open_worker_pool(settings))
        await require_schema(pool, LATEST_VERSION)
        geoip = GeoIp(settings.geoip_db) if settings.geoip_db else None
        if geoip is not None:
            stack.callback(geoip.close)
        if redis is None:
            redis = worker_redis(settings)
            stack.push_async_callback(_shielded, redis.aclose)
        keys = keys_for(settings)
        stack.push_async_callback(_forget_heartbeat, redis, keys=keys, name=name)
        leases = ShardLeases(
            connect_kwargs=connect_kwargs(settings), schema=settings.database_schema, shards=settings.click_shards
        )
        stack.push_async_callback(_shielded, leases.close)
        await pool.execute(
            "INSERT INTO stream_cursors (shard) SELECT generate_series(0, $1::int - 1) ON CONFLICT DO NOTHING",
            settings.click_shards,
        )
        if metrics is None:
            metrics = worker_metrics()
        # Raises MetricsPortError (the command turns it into one line) when the port is taken.
        metrics_server = start_worker_metrics(
            host=settings.metrics_host, port=settings.worker_metrics_port, ready=ready, metrics=metrics
        )
        if metrics_server is not None:
            stack.callback(metrics_server.close)
        yield WorkerResources(
            pool=pool,
            redis=redis,
            keys=keys,
            shards_by_stream=shards_by_stream(keys, settings.click_shards),
            enricher=Enricher(
                salt_secret=settings.visitor_salt_secret, geoip=geoip, store_full_ip=settings.store_full_ip
            ),
            geoip=geoip,
            leases=leases,
            partitions=Partitions(),
            trims=StreamTrims(redis=redis, keys=keys, metrics=metrics),
            metrics=metrics,
            metrics_server=metrics_server,
            feed=FeedPublisher(redis, keys),
            webhooks=WebhookSender(pool, settings, await stack.enter_async_context(new_client())),
        )


async def _shielded(close: Callable[[], Awaitable[None]]) -> None:
    # A cancelled shutdown must still release the locks and connections.
    await asyncio.shield(close())


async def _forget_heartbeat(redis: RedisClient, *, keys: Keys, name: str) -> None:
    # A clean exit removes the heartbeat at once, so `hop worker --check` fails without waiting for its TTL.
    with contextlib.suppress(RedisError, OSError):
        await asyncio.shield(heartbeat.forget(redis, keys, name))
