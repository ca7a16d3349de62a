"""The worker's heartbeat in Redis, and the container health check that reads it."""

from __future__ import annotations

import os
import socket
from typing import Final

import orjson

from common.records import Keys
from common.redis import RedisClient

HEARTBEAT_TTL_S: Final = 10  # a worker silent this long is unhealthy: `hop worker --check` fails
HEARTBEAT_EVERY_S: Final = 1.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def beat(redis: RedisClient, keys: Keys, name: str, *, shards: list[int]) -> None:
    payload = orjson.dumps({"shards": shards})
    await redis.set(keys.worker_heartbeat(name), payload, ex=HEARTBEAT_TTL_S)


async def local_worker_alive(redis: RedisClient, keys: Keys) -> bool:
    """True when a worker on this host has beaten within the TTL (the container probe)."""
    async for _ in redis.scan_iter(match=keys.worker_heartbeat(f"{socket.gethostname()}:*"), count=100):
        return True
    return False


async def forget(redis: RedisClient, keys: Keys, name: str) -> None:
    await redis.delete(keys.worker_heartbeat(name))
