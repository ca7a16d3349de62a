"""The edge: an ASGI app that turns a short code into a redirect and records the click.

Redirects are answered in front of Starlette (``FastRedirects``), which serves everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypedDict

import asyncpg
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from common.client_ip import ClientIpResolver
from common.db import open_pool, require_schema
from common.domains import fetch_domains
from common.geoip import GeoIp
from common.metrics import DeltaExporter, export_periodically
from common.persistence import report_persistence
from common.records import CODE_RE, RECORD_TTL_S, REPLICA_RECORD_TTL_S, Keys
from common.redis import RedisClient, create_redis, keys_for
from common.settings import EdgeSettings, load_settings_or_exit
from edge import responses
from edge.clicks import ClickBuffer
from edge.domains import ShortDomains, keep_loaded
from edge.invalidation import listen_for_invalidations
from edge.limits import ClaimFailed, ClickLimiter
from edge.metrics import edge_exporter
from edge.orphans import OrphanVisits
from edge.previews import PreviewLink, is_preview_agent
from edge.ratelimit import NotFoundLimiter
from edge.resolver import LookupFailed, Resolved, Resolver
from edge.routes import RoutedRedirect, Router
from edge.tracking import ClickTracker
from edge.unlock import Unlocked, UnlockGate
from edge.warmup import warm_cache

logger = logging.getLogger("hop.edge")

# The edge reads links (their password, UTM, preview and routing columns and edge keys too),
# users.disabled and domains (migration 0022; see common/linkstore.py and edge/domains.py).
EDGE_SCHEMA_VERSION = 22
READY_TIMEOUT_S = 0.5
SUBSCRIBE_WAIT_S = 2.0


class EdgeState(TypedDict):
    resolver: Resolver
    tracker: ClickTracker
    redis: RedisClient
    limiter: ClickLimiter
    not_found: NotFoundLimiter
    orphans: OrphanVisits
    unlock: UnlockGate
    router: Router
    domains: ShortDomains


# The paths Starlette serves itself; every other one-segment path names a link.
FIXED_PATHS = frozenset(("/healthz", "/readyz", "/robots.txt", "/favicon.ico"))
_READS = frozenset(("GET", "HEAD"))


class CodeConvertor(StringConvertor):
    """One path segment that is not one of the edge's fixed paths: the /{code} routes."""

    regex = rf"(?!(?:{'|'.join(re.escape(path[1:]) for path in sorted(FIXED_PATHS))})$)[^/]+"


register_url_convertor("hop_code", CodeConvertor())


async def serve_code(scope: Scope, code: str) -> ASGIApp:
    """The answer to GET or HEAD /{code}: the link's redirect, counted, or why there is none."""
    # The lifespan's state dict itself, as the server copies it into every request's scope.
    state: EdgeState = scope["state"]
    domains = state["domains"]
    # From here on the link is named by its edge key: its code, on the default domain.
    key = code if domains.single else _edge_key(scope, domains, code)
    if key is None:
        return domains.unknown_host
    response = state["resolver"].cached(key)
    if response is None:
        response = await _look_up(scope, state, key)
    if not isinstance(response, responses.Redirect):
        # A 404, 429 or 503, or a click-limited link: never a cache hit of an unlimited link.
        return await _not_a_plain_redirect(scope, state, key, response)
    # A cached Redirect outlives its link's expiry until the cache TTL evicts it.
    if response.is_expired():
        return _not_found(scope, state)
    state["tracker"].track(scope, key)
    return response


async def redirect(request: Request) -> ASGIApp:
    """GET or HEAD /{code} that reached the router, as under a root path (FastRedirects matches the
    path as sent); its route also makes other methods a 405 that names GET and HEAD."""
    return await serve_code(request.scope, request.path_params["code"])


def _edge_key(scope: Scope, domains: ShortDomains, code: str) -> str | None:
    """The edge key of ``code`` on the domain the request came to; None for an unknown Host that
    is not served as the default domain."""
    domain = domains.of(scope)
    return None if domain is None else domain.key_prefix + code


async def _look_up(scope: Scope, state: EdgeState, key: str) -> Resolved:
    if state["not_found"].throttled(scope):
        return state["not_found"].too_many  # past its 404 budget: no lookup for this client
    if CODE_RE.match(key.rpartition("/")[2]) is None:
        return responses.NOT_FOUND
    try:
        return await state["resolver"].fetch(key)
    except LookupFailed:
        return responses.UNAVAILABLE


async def _not_a_plain_redirect(scope: Scope, state: EdgeState, code: str, response: Resolved) -> ASGIApp:
    if isinstance(response, responses.LimitedRedirect):
        return await _limited_redirect(scope, state, code, response)
    if isinstance(response, RoutedRedirect):
        return _routed(scope, state, code, response)
    if isinstance(response, responses.ProtectedLink):
        return await _protected(scope, state, code, response)
    if isinstance(response, PreviewLink):
        return await _previewed(scope, state, code, response)
    if response is responses.NOT_FOUND:
        return _not_found(scope, state)
    return response


async def _protected(scope: Scope, state: EdgeState, code: str, link: responses.ProtectedLink) -> ASGIApp:
    """The password form, unless this visitor has entered the password (edge/unlock.py)."""
    if link.is_expired():
        return _not_found(scope, state)
    if not state["unlock"].unlocked(scope, code, link):
        return responses.UNLOCK_FORM
    return await _open(scope, state, code, link.inner)


async def _previewed(scope: Scope, state: EdgeState, code: str, link: PreviewLink) -> ASGIApp:
    """The link's Open Graph page for a link-preview crawler (edge/previews.py), else its redirect."""
    if link.is_expired():
        return _not_found(scope, state)
    if is_preview_agent(scope):
        return link.page
    return await _open(scope, state, code, link.inner)


async def _open(
    scope: Scope, state: EdgeState, code: str, inner: responses.Redirect | responses.LimitedRedirect | RoutedRedirect
) -> ASGIApp:
    """The redirect of a protected link's visitor who has the password, or of a link with a
    preview's visitor who is not a crawler: counted as any other."""
    if isinstance(inner, responses.LimitedRedirect):
        return await _limited_redirect(scope, state, code, inner)
    return _send(scope, state, code, inner)


def _routed(scope: Scope, state: EdgeState, code: str, link: RoutedRedirect) -> ASGIApp:
    if link.is_expired():
        return _not_found(scope, state)
    return state["router"].route(scope, code, link)


def _send(scope: Scope, state: EdgeState, code: str, redirect: responses.Redirect | RoutedRedirect) -> ASGIApp:
    """A redirect that may go out now, counted: the link's own, or the one its routing picks."""
    if isinstance(redirect, RoutedRedirect):
        return state["router"].route(scope, code, redirect)
    state["tracker"].track(scope, code)
    return redirect


async def unlock(request: Request) -> ASGIApp:
    """A password POSTed by a protected link's form: the redirect with its cookie, or the form again."""
    state: EdgeState = request.scope["state"]
    domains = state["domains"]
    code = _edge_key(request.scope, domains, request.path_params["code"])
    if code is None:
        return domains.unknown_host
    link = state["resolver"].cached(code) or await _look_up(request.scope, state, code)
    if isinstance(link, responses.Redirect | responses.LimitedRedirect | RoutedRedirect | PreviewLink):
        return responses.METHOD_NOT_ALLOWED  # an open link has no form
    if not isinstance(link, responses.ProtectedLink):
        return link  # its 404, 429 or 503
    if link.is_expired():
        return responses.NOT_FOUND
    outcome = await state["unlock"].attempt(request.scope, request.receive, code, link)
    if not isinstance(outcome, Unlocked):
        return outcome
    served = await _open(request.scope, state, code, link.inner)
    if isinstance(served, responses.Redirect):
        return responses.UnlockedRedirect(served, outcome.cookie, request.scope["query_string"])
    return served  # used up (404) or not countable (503)


def _not_found(scope: Scope, state: EdgeState) -> ASGIApp:
    """The 404 of a code (or its domain's not-found redirect), recorded as an orphan visit, or the
    429 of a client past its 404 budget."""
    domain = state["domains"].of(scope)
    if domain is None:
        return state["domains"].unknown_host  # its domain was removed since the lookup
    limiter = state["not_found"]
    response = limiter.answer(scope, domain.not_found)
    if response is not limiter.too_many:
        state["orphans"].record(scope, domain.name)
    return response


async def _limited_redirect(scope: Scope, state: EdgeState, code: str, link: responses.LimitedRedirect) -> ASGIApp:
    """A click-limited link redirects only once its use is counted (edge/limits.py); every redirect
    counts, HEAD and ``nostat`` ones too, since each hands out the target just the same."""
    if link.is_expired():
        return _not_found(scope, state)
    try:
        allowed = await state["limiter"].claim(link)
    except ClaimFailed:
        return responses.UNAVAILABLE  # not counted, not served: the limit holds while Redis is away
    if not allowed:
        state["resolver"].refuse(code)  # used up: later requests need not ask Redis
        return _not_found(scope, state)
    return _send(scope, state, code, link.redirect)


async def healthz(request: Request) -> ASGIApp:
    return responses.ALIVE


async def readyz(request: Request) -> ASGIApp:
    redis: RedisClient = request.state.redis
    try:
        await asyncio.wait_for(redis.ping(), READY_TIMEOUT_S)
    except (RedisError, OSError, TimeoutError):
        return responses.NOT_READY
    return responses.READY


async def robots(request: Request) -> ASGIApp:
    return responses.ROBOTS_TXT


async def not_found(request: Request) -> ASGIApp:
    return responses.NOT_FOUND


async def unmatched(scope: Scope, receive: Receive, send: Send) -> None:
    """Every path no route serves (the bare domain, paths of several segments): a 404 or the domain's
    redirect, recorded as an orphan visit. No per-client budget: no lookup is spent on them."""
    if scope["type"] != "http":
        await responses.NOT_FOUND(scope, receive, send)
        return
    state: EdgeState = scope["state"]
    domain = state["domains"].of(scope)
    if domain is None:
        await state["domains"].unknown_host(scope, receive, send)
        return
    state["orphans"].record(scope, domain.name)
    page = domain.base if scope["path"] == "/" else domain.not_found
    await page(scope, receive, send)


ROUTES = (
    Route("/{code:hop_code}", redirect, methods=["GET", "HEAD"]),  # FastRedirects answers these first
    Route("/{code:hop_code}", unlock, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET", "HEAD"]),
    Route("/readyz", readyz, methods=["GET", "HEAD"]),
    Route("/robots.txt", robots, methods=["GET", "HEAD"]),
    Route("/favicon.ico", not_found, methods=["GET", "HEAD"]),
)


@dataclass(frozen=True, slots=True)
class EdgeWorker:
    """What one edge worker process serves from, built from its settings when the lifespan starts."""

    redis: RedisClient
    keys: Keys
    resolver: Resolver
    clicks: ClickBuffer
    tracker: ClickTracker
    limiter: ClickLimiter
    not_found: NotFoundLimiter
    orphans: OrphanVisits
    unlock: UnlockGate
    router: Router
    domains: ShortDomains
    geoip: GeoIp | None

    def state(self) -> EdgeState:
        return {
            "resolver": self.resolver,
            "tracker": self.tracker,
            "redis": self.redis,
            "limiter": self.limiter,
            "not_found": self.not_found,
            "orphans": self.orphans,
            "unlock": self.unlock,
            "router": self.router,
            "domains": self.domains,
        }


def build_worker(settings: EdgeSettings, *, redis: RedisClient, reads: asyncpg.Pool) -> EdgeWorker:
    """``reads``: the pool the read-through uses, on the primary or on a replica."""
    keys = keys_for(settings)
    resolver = Resolver(
        redis=redis,
        pool=reads,
        keys=keys,
        cache_ttl=settings.cache_ttl,
        negative_ttl=settings.negative_ttl,
        max_entries=settings.cache_max_entries,
        record_ttl=RECORD_TTL_S if settings.database_read_url is None else REPLICA_RECORD_TTL_S,
    )
    clicks = ClickBuffer(
        redis=redis,
        keys=keys,
        shards=settings.click_shards,
        flush_interval=settings.click_flush_interval,
        flush_size=settings.click_flush_size,
        limit=settings.click_buffer_max,
        maxlen=settings.click_stream_maxlen,
    )
    client_ip = ClientIpResolver(settings.trusted_proxies)
    # The worker's database: a targeting rule by country sees the country the click is stored with.
    geoip = GeoIp(settings.geoip_db) if settings.geoip_db is not None else None
    tracker = ClickTracker(clicks, client_ip=client_ip, country_header=settings.country_header)
    not_found = NotFoundLimiter(
        rate=settings.edge_not_found_rate, burst=settings.edge_not_found_burst, client_ip=client_ip
    )
    return EdgeWorker(
        redis=redis,
        keys=keys,
        resolver=resolver,
        clicks=clicks,
        tracker=tracker,
        limiter=ClickLimiter(redis),
        not_found=not_found,
        orphans=OrphanVisits(tracker, rate=settings.edge_orphan_visits_per_second),
        unlock=UnlockGate(
            redis=redis,
            keys=keys,
            secret=settings.link_unlock_secret,
            ttl_s=settings.link_unlock_ttl,
            attempts=settings.link_unlock_attempts,
            address=not_found.address,
        ),
        router=Router(tracker, geoip),
        domains=ShortDomains(
            short_base=settings.short_base, unknown_host=settings.edge_unknown_host, client_ip=client_ip
        ),
        geoip=geoip,
    )


@dataclass(frozen=True, slots=True)
class Background:
    """A worker's background tasks; ``subscribed`` is set while invalidations reach it."""

    flusher: asyncio.Task[None]
    exporting: asyncio.Task[None]
    listener: asyncio.Task[None]
    domains: asyncio.Task[None]
    exporter: DeltaExporter
    subscribed: asyncio.Event

    async def cancel(self) -> None:
        tasks = (self.flusher, self.listener, self.exporting, self.domains)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def start_background(settings: EdgeSettings, worker: EdgeWorker, reads: asyncpg.Pool) -> Background:
    flusher = asyncio.create_task(worker.clicks.run(), name="hop-click-flusher")
    # Metrics: plain counters handed to Prometheus off the hot path (edge/metrics.py).
    exporter = edge_exporter(
        resolver=worker.resolver,
        clicks=worker.clicks,
        limiter=worker.limiter,
        not_found=worker.not_found,
        orphans=worker.orphans,
        enabled=settings.edge_metrics_port > 0,
    )
    exporting = asyncio.create_task(
        export_periodically(exporter, settings.metrics_interval), name="hop-metrics-exporter"
    )
    subscribed = asyncio.Event()
    domains_changed = asyncio.Event()
    listener = start_listener(worker, subscribed, domains_changed)
    domains = asyncio.create_task(keep_loaded(worker.domains, reads, domains_changed), name="hop-domains")
    for task in (flusher, exporting, listener, domains):
        task.add_done_callback(_report_early_end)
    return Background(
        flusher=flusher,
        exporting=exporting,
        listener=listener,
        domains=domains,
        exporter=exporter,
        subscribed=subscribed,
    )


def _report_early_end(task: asyncio.Task[None]) -> None:
    """Log a background task that ended with an error: each is meant to run until shutdown cancels it."""
    if not task.cancelled() and task.exception() is not None:
        logger.error("background task %s ended", task.get_name(), exc_info=task.exception())


def start_listener(worker: EdgeWorker, subscribed: asyncio.Event, domains_changed: asyncio.Event) -> asyncio.Task[None]:
    invalidations = listen_for_invalidations(
        worker.redis,
        worker.keys.invalidate_channel,
        evict=worker.resolver.invalidate,
        evict_all=worker.resolver.invalidate_all,
        domains_changed=domains_changed.set,
        subscribed=subscribed,
    )
    return asyncio.create_task(invalidations, name="hop-invalidation-listener")


async def wait_until_subscribed(subscribed: asyncio.Event) -> None:
    # Serve only once invalidations reach us, unless Redis is down: then serve what Postgres has.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(subscribed.wait(), SUBSCRIBE_WAIT_S)


async def shut_down(worker: EdgeWorker, background: Background, *, grace: float) -> None:
    # 1. Granian has stopped accepting connections and finished in-flight requests.
    # 2. Write every buffered click, retrying for up to the grace period.
    await worker.clicks.stop(grace)
    # 3. Stop background work, then close the stores (the pool closes on leaving `async with`).
    await background.cancel()
    background.exporter.export()  # the last counts, shutdown's flushed and dropped clicks included
    await worker.resolver.aclose()
    await worker.limiter.aclose()
    await worker.redis.aclose()
    if worker.geoip is not None:
        worker.geoip.close()


class FastRedirects:
    """The edge's ASGI app: GET and HEAD of a one-segment path go straight to ``serve_code``, and
    Starlette serves the rest (the lifespan, the fixed paths, the password form, other paths).

    Redirects are nearly all the edge's traffic, and a cached one costs less than what Starlette
    spends around it: three middleware layers, the router matching its routes, a Request and an
    exception-handling wrapper per request (bench/NOTES.md). Paths are matched as Starlette's
    router would: the edge is served at the root, so ``path`` is the route path.
    """

    __slots__ = ("starlette",)

    def __init__(self, starlette: Starlette) -> None:
        self.starlette = starlette

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _READS:
            path: str = scope["path"]
            if len(path) > 1 and path.find("/", 1) < 0 and path not in FIXED_PATHS:
                await self._serve(scope, receive, send, path[1:])
                return
        await self.starlette(scope, receive, send)

    @staticmethod
    async def _serve(scope: Scope, receive: Receive, send: Send, code: str) -> None:
        try:
            response = await serve_code(scope, code)
        except Exception:
            # What Starlette's ServerErrorMiddleware would do: the client gets a 500, the log the cause.
            logger.exception("serving %r failed", code)
            response = responses.SERVER_ERROR
        await response(scope, receive, send)


def create_app(settings: EdgeSettings) -> FastRedirects:
    """The edge application for one process; resources open in its lifespan."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[EdgeState]:
        redis = create_redis(settings)
        # Postgres only answers the read-through, so a replica, when there is one, is all the edge needs.
        async with open_pool(settings, min_size=1, max_size=4, dsn=settings.database_read_url) as reads:
            await require_schema(reads, EDGE_SCHEMA_VERSION)
            worker = build_worker(settings, redis=redis, reads=reads)
            worker.domains.load(await fetch_domains(reads))
            background = start_background(settings, worker, reads)
            await asyncio.gather(
                wait_until_subscribed(background.subscribed), report_persistence(redis, settings, logger)
            )
            # After subscribing, which empties the cache: the links that were hot, so that the first
            # requests need no MGET; bounded in time, and it never fails start-up (edge/warmup.py).
            await warm_cache(worker.resolver, reads, limit=min(settings.cache_warmup_links, settings.cache_max_entries))
            # Everything start-up made (modules, settings, the app) lives as long as the process: out of
            # the collector's generations, no full collection walks it again.
            gc.collect()
            gc.freeze()
            logger.info("edge worker %d ready", os.getpid())
            try:
                yield worker.state()
            finally:
                await shut_down(worker, background, grace=settings.shutdown_grace)

    app = Starlette(routes=ROUTES, lifespan=lifespan)
    # No slash redirects: Starlette builds their Location from the Host header, which anyone sets.
    # /{code}/ is not a link, so it is the same 404 as any other path the edge does not serve.
    app.router.redirect_slashes = False
    app.router.default = unmatched
    return FastRedirects(app)


def app_factory() -> FastRedirects:
    """Granian's entry point in each worker process: settings come from the environment."""
    from common.logs import configure_logging

    settings = load_settings_or_exit(EdgeSettings)
    configure_logging(settings)
    return create_app(settings)
