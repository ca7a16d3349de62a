"""Baseline (c): the common design, a Starlette handler that awaits a redis-py GET and an XADD per request.

This is what most Python shorteners do: read the link from Redis, write the click to a stream,
then answer. It reads the same records the edge reads, and writes one stream entry per click.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from common.records import NEGATIVE
from common.settings import CoreSettings, load_settings_or_exit

STREAM_SUFFIX = "common:clicks"  # one entry per click, under the bench's key prefix


def app_factory() -> Starlette:
    settings = load_settings_or_exit(CoreSettings)
    prefix = settings.redis_prefix
    stream = f"{prefix}{STREAM_SUFFIX}"

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Redis]]:
        redis = Redis.from_url(str(settings.redis_url))
        print(f"ceiling worker {os.getpid()} ready", flush=True)
        try:
            yield {"redis": redis}
        finally:
            await redis.aclose()

    async def redirect(request: Request) -> Response:
        redis: Redis = request.state.redis
        code = request.path_params["code"]
        raw = await redis.get(f"{prefix}link:{code}")
        if raw is None or raw == NEGATIVE:
            return PlainTextResponse("not found\n", status_code=404)
        target = orjson.loads(raw)["t"]
        click = (time.time_ns() // 1_000_000, code, request.client.host if request.client else "")
        await redis.xadd(stream, {"c": orjson.dumps(click)})
        return RedirectResponse(target, status_code=302)

    return Starlette(routes=[Route("/{code}", redirect, methods=["GET", "HEAD"])], lifespan=lifespan)
