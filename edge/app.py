"""The edge: a Starlette app that turns a short code into a redirect and records the click."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp

from common.db import open_pool, require_schema
from common.metrics import export_periodically
from common.records import CODE_RE
from common.redis import create_redis, keys_for
from common.settings import Settings, load_settings_or_exit
from edge import redirect as responses
from edge.clicks import ClickBuffer
from edge.client_ip import ClientIpResolver
from edge.invalidation import listen_for_invalidations
from edge.metrics import edge_exporter
from edge.resolver import NOT_FOUND, LookupFailed, Resolver
from edge.tracking import ClickTracker

logger = logging.getLogger("hop.edge")

# The edge reads links and users.disabled (migration 0002; see common/linkstore.py).
EDGE_SCHEMA_VERSION = 2
READY_TIMEOUT_S = 0.5
SUBSCRIBE_WAIT_S = 2.0


class EdgeState(TypedDict):
    resolver: Resolver
    tracker: ClickTracker
    redis: Redis


class CodeConvertor(StringConvertor):
    """One path segment that is not one of the edge's fixed paths.

    It lets the /{code} route come first: Starlette tries routes in order, and every route
    tried before the one that matches costs a few microseconds on every redirect.
    """

    regex = r"(?!(?:healthz|readyz|robots\.txt|favicon\.ico)$)[^/]+"


register_url_convertor("hop_code", CodeConvertor())


async def redirect(request: Request) -> ASGIApp:
    code: str = request.path_params["code"]
    # The lifespan's state dict itself: request.state would build a wrapper object per request.
    state: EdgeState = request.scope["state"]
    resolver = state["resolver"]
    entry = resolver.cached(code)
    if entry is None:
        if CODE_RE.match(code) is None:
            return responses.NOT_FOUND
        try:
            entry = await resolver.fetch(code)
        except LookupFailed:
            return responses.UNAVAILABLE
    if entry is NOT_FOUND:
        return responses.NOT_FOUND
    assert isinstance(entry, responses.Redirect)
    if entry.expires_at_ms is not None and time.time_ns() // 1_000_000 >= entry.expires_at_ms:
        return responses.NOT_FOUND
    state["tracker"].track(request.scope, code)
    return entry


async def healthz(request: Request) -> ASGIApp:
    return responses.ALIVE


async def readyz(request: Request) -> ASGIApp:
    redis: Redis = request.state.redis
    try:
        await asyncio.wait_for(redis.ping(), READY_TIMEOUT_S)
    except (RedisError, OSError, TimeoutError):
        return responses.NOT_READY
    return responses.READY


async def robots(request: Request) -> ASGIApp:
    return responses.ROBOTS_TXT


async def not_found(request: Request) -> ASGIApp:
    return responses.NOT_FOUND


def create_app(settings: Settings) -> Starlette:
    """The edge application for one process; resources open in its lifespan."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[EdgeState]:
        keys = keys_for(settings)
        redis = create_redis(settings)
        async with open_pool(settings, min_size=1, max_size=4) as pool:
            await require_schema(pool, EDGE_SCHEMA_VERSION)
            resolver = Resolver(
                redis=redis,
                pool=pool,
                keys=keys,
                cache_ttl=settings.cache_ttl,
                negative_ttl=settings.negative_ttl,
                max_entries=settings.cache_max_entries,
            )
            clicks = ClickBuffer(
                redis=redis,
                keys=keys,
                shards=settings.click_shards,
                flush_interval=settings.click_flush_interval,
                flush_size=settings.click_flush_size,
                limit=settings.click_buffer_max,
            )
            tracker = ClickTracker(
                clicks,
                client_ip=ClientIpResolver(settings.trusted_proxies),
                country_header=settings.country_header,
            )
            flusher = asyncio.create_task(clicks.run(), name="hop-click-flusher")
            # Metrics: plain counters handed to Prometheus off the hot path (edge/metrics.py).
            exporter = edge_exporter(resolver=resolver, clicks=clicks, enabled=settings.edge_metrics_port > 0)
            exporting = asyncio.create_task(
                export_periodically(exporter, settings.metrics_interval), name="hop-metrics-exporter"
            )
            subscribed = asyncio.Event()
            listener = asyncio.create_task(
                listen_for_invalidations(
                    redis,
                    keys.invalidate_channel,
                    evict=resolver.invalidate,
                    evict_all=resolver.invalidate_all,
                    subscribed=subscribed,
                ),
                name="hop-invalidation-listener",
            )
            # Serve only once invalidations reach us, unless Redis is down: then serve what Postgres has.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(subscribed.wait(), SUBSCRIBE_WAIT_S)
            logger.info("edge worker %d ready", os.getpid())
            try:
                yield {"resolver": resolver, "tracker": tracker, "redis": redis}
            finally:
                # 1. Granian has stopped accepting connections and finished in-flight requests.
                # 2. Write every buffered click, retrying for up to the grace period.
                await clicks.stop(settings.shutdown_grace)
                # 3. Stop background work, then close the stores (the pool closes on leaving `async with`).
                for task in (flusher, listener, exporting):
                    task.cancel()
                await asyncio.gather(flusher, listener, exporting, return_exceptions=True)
                exporter.export()  # the last counts, shutdown's flushed and dropped clicks included
                await resolver.aclose()
                await redis.aclose()

    routes = [
        Route("/{code:hop_code}", redirect, methods=["GET", "HEAD"]),  # first: see CodeConvertor
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        Route("/robots.txt", robots, methods=["GET", "HEAD"]),
        Route("/favicon.ico", not_found, methods=["GET", "HEAD"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def app_factory() -> Starlette:
    """Granian's entry point in each worker process: settings come from the environment."""
    from common.logs import configure_logging

    settings = load_settings_or_exit()
    configure_logging(settings)
    return create_app(settings)
