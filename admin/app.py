"""The admin API: FastAPI on Granian, versioned under /api/v1, OpenAPI at /docs and /redoc.

``create_app(settings)`` builds the app; its lifespan opens the stores and hands them to every
request as ``request.state.stores`` (with ``request.state.settings``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from admin.body_limit import BodyLimitMiddleware
from admin.observability import install_observability
from admin.problems import Problem as _Problem
from admin.problems import ProblemDetails, install_problem_handlers, problem_response
from admin.routes import api_router
from common.logs import configure_logging
from common.settings import AdminSettings, load_settings_or_exit
from common.stores import Stores, open_stores

logger = logging.getLogger("hop.admin")

API_VERSION = "1.0.0"


def create_app(settings: AdminSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with open_stores(settings) as stores:
            logger.info("admin worker ready")
            yield {"stores": stores, "settings": settings}

    app = FastAPI(
        title="Hop admin API",
        version=API_VERSION,
        description="Users, API keys and short links for Hop. Every error is an RFC 9457 problem.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
    )
    install_problem_handlers(app)
    app.include_router(api_router())
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    app.add_api_route("/readyz", readyz, methods=["GET"], tags=["health"], responses={503: {"model": ProblemDetails}})
    app.add_middleware(BodyLimitMiddleware)
    # Last, so outermost: request id, access log and metrics around everything (admin/observability.py).
    install_observability(app, metrics=settings.admin_metrics_port > 0)
    return app


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
