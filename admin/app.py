"""The admin API: FastAPI on Granian, versioned under /api/v1, OpenAPI at /docs and /redoc.

``create_app(settings)`` builds the app; its lifespan opens the stores and hands them to every
request as ``request.state.stores`` (with ``request.state.settings``).

Every response carries ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy: no-referrer`` and a Content-Security-Policy that allows nothing (JSON needs
nothing); the docs pages get one that allows exactly their own assets. API responses are
``Cache-Control: no-store`` unless they say otherwise: they carry tokens and private data.
The Swagger UI and ReDoc assets come from the fastapi-offline package, served by the admin
itself (no CDN: the docs work offline); ``HOP_ADMIN_DOCS=false`` turns the docs off.
The web dashboard is served at ``/`` with its own CSP and cache rules (admin/dashboard.py).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.body_limit import BodyLimitMiddleware, StrictJsonMiddleware
from admin.click_feed import open_feeds
from admin.dashboard import install_dashboard
from admin.observability import install_observability
from admin.problems import SECURITY_HEADERS, ProblemDetails, install_problem_handlers, problem_response
from admin.problems import Problem as _Problem
from admin.routes import api_router
from common.logs import configure_logging
from common.settings import AdminSettings, load_settings_or_exit
from common.stores import Stores, open_stores

logger = logging.getLogger("hop.admin")

API_VERSION = "1.0.0"
DOCS_ASSETS_URL = "/docs/assets"
# The docs pages: their own scripts (and the inline Swagger UI set-up, by hash), inline styles,
# data: images, ReDoc's blob: workers, fetches of /openapi.json. Still not framable.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
# The admin's queries are small, the analytics ones included (they read bounded rollup rows, which
# can run side by side: admin/routes/analytics.py). Parallel workers' start-up and JIT compilation
# cost them more than they save: the city breakdown of a 1-million-click account took 55-70 ms with
# parallel workers and 34 ms without (docs/performance.md).
ADMIN_SESSION_SETTINGS: Final = {"max_parallel_workers_per_gather": "0", "jit": "off"}


def create_app(settings: AdminSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        stores_opened = open_stores(
            settings, server_settings=ADMIN_SESSION_SETTINGS, read_url=settings.database_read_url
        )
        async with stores_opened as stores, open_feeds(settings) as feeds:
            logger.info("admin worker ready")
            yield {"stores": stores, "settings": settings, "feeds": feeds}

    app = FastAPI(
        title="Hop admin API",
        version=API_VERSION,
        description="Users, API keys and short links for Hop. Every error is an RFC 9457 problem.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from local assets
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_problem_handlers(app)
    app.include_router(api_router())
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    app.add_api_route("/readyz", readyz, methods=["GET"], tags=["health"], responses={503: {"model": ProblemDetails}})
    if settings.admin_docs:
        install_docs(app)
    install_dashboard(app, settings.admin_dashboard_dir, docs=settings.admin_docs)
    app.add_middleware(StrictJsonMiddleware)
    app.add_middleware(
        BodyLimitMiddleware, timeout=settings.admin_body_timeout, idle_timeout=settings.admin_body_idle_timeout
    )
    app.add_middleware(SecurityHeadersMiddleware)
    # Last, so outermost: request id, access log and metrics around everything (admin/observability.py).
    install_observability(app, metrics=settings.admin_metrics_port > 0)
    return app


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS to every response that does not set its own, and ``no-store`` under /api/."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                if private:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def docs_csp(html: bytes) -> str:
    """The docs CSP for a page: its inline scripts allowed by their SHA-256, nothing else inline."""
    digests = (base64.b64encode(hashlib.sha256(script).digest()).decode() for script in _INLINE_SCRIPT.findall(html))
    return DOCS_CSP.format(hashes=" ".join(f"'sha256-{digest}'" for digest in digests))


def _page(html: HTMLResponse) -> Callable[[], Any]:
    body = bytes(html.body)
    headers = {"Content-Security-Policy": docs_csp(body), "Cache-Control": "no-cache"}

    async def page() -> HTMLResponse:
        return HTMLResponse(body, headers=headers)

    return page


def install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc, their assets served from the fastapi-offline package."""
    assets = files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{DOCS_ASSETS_URL}/favicon.png"
    swagger = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=favicon,
        # No badge fetched from the public validator: the page talks to this server only.
        swagger_ui_parameters={"validatorUrl": None},
    )
    redoc = get_redoc_html(
        openapi_url=openapi_url,
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{DOCS_ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=favicon,
        with_google_fonts=False,
    )
    app.add_api_route("/docs", _page(swagger), methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", _page(redoc), methods=["GET"], include_in_schema=False)


async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


async def readyz(request: Request) -> JSONResponse:
    """Postgres answers (required) and Redis answers (reported: without it changes still commit)."""
    state: Any = request.state
    stores: Stores = state.stores
    try:
        await stores.pool.fetchval("SELECT 1")
    except Exception as error:  # any failure means "not ready", whatever the driver raised
        logger.warning("readyz: postgres unavailable: %s", error)
        return problem_response(_Problem(503, "postgres_unavailable", "Postgres does not answer"), request)
    try:
        redis_ok = bool(await stores.redis.ping())
    except (RedisError, OSError):
        redis_ok = False
    return JSONResponse({"status": "ok", "postgres": "ok", "redis": "ok" if redis_ok else "unavailable"})


def app_factory() -> FastAPI:
    """Granian's entry point: settings from the environment, logging configured, the app built."""
    settings = load_settings_or_exit(AdminSettings)
    configure_logging(settings)
    return create_app(settings)
