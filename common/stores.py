"""Postgres and Redis opened together, for the CLI, the admin app and the worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from common.db import open_pool, open_read_pool, require_schema
from common.migrate import LATEST_VERSION
from common.records import Keys
from common.redis import RedisClient, create_redis, keys_for
from common.settings import CoreSettings


@dataclass(frozen=True, slots=True)
class Stores:
    pool: asyncpg.Pool
    redis: RedisClient
    keys: Keys
    # Analytics: a pool on a read replica (HOP_DATABASE_READ_URL), else ``pool`` itself.
    reads: asyncpg.Pool


@asynccontextmanager
async def open_stores(
    settings: CoreSettings,
    *,
    pool_size: int | None = None,
    server_settings: dict[str, str] | None = None,
    read_url: str | None = None,
) -> AsyncIterator[Stores]:
    """Both stores, after checking the schema is fully migrated (raises common.db.SchemaTooOld);
    ``server_settings`` are passed to ``open_pool``, ``read_url`` (a replica) to ``open_read_pool``."""
    redis = create_redis(settings)
    try:
        async with open_pool(settings, min_size=1, max_size=pool_size, server_settings=server_settings) as pool:
            await require_schema(pool, LATEST_VERSION)
            replica = open_read_pool(
                settings,
                pool,
                read_url=read_url,
                needed=LATEST_VERSION,
                max_size=pool_size,
                server_settings=server_settings,
            )
            async with replica as reads:
                yield Stores(pool=pool, redis=redis, keys=keys_for(settings), reads=reads)
    finally:
        await redis.aclose()
