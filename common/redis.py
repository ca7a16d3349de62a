"""The redis-py asyncio client every Hop process uses (hiredis parses replies when installed)."""

from __future__ import annotations

from redis.asyncio import Redis

from common.records import Keys
from common.settings import CoreSettings


def redis_url(settings: CoreSettings) -> str:
    if settings.redis_url is None:
        raise ValueError("HOP_REDIS_URL is not set (run through `hop dev` to start an embedded Valkey)")
    return settings.redis_url


def create_redis(settings: CoreSettings, *, max_connections: int = 64) -> Redis:
    # Short timeouts: a Redis outage must turn into a fallback within a second, not a hung request.
    return Redis.from_url(
        redis_url(settings),
        max_connections=max_connections,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
        health_check_interval=15,
        client_name="hop",
    )


def keys_for(settings: CoreSettings) -> Keys:
    return Keys(prefix=settings.redis_prefix)
