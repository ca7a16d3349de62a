"""The asyncpg pool every Hop process opens, and the schema-version check they run at start-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from common.settings import CoreSettings

POOL_CLOSE_TIMEOUT_S = 10

# A connection as functions receive it: opened directly, or acquired from a pool.
Connection = asyncpg.Connection | PoolConnectionProxy
# Anything that runs a query: a connection, or a pool (which acquires one per query).
Executor = Connection | asyncpg.Pool
# A result row: asyncpg's Record (which the stubs do not declare a Mapping) or a dict built from one.
Row = asyncpg.Record | Mapping[str, Any]


class SchemaTooOld(Exception):
    """The database has not been migrated far enough for this process; run `hop migrate`."""

    def __init__(self, *, found: int, needed: int) -> None:
        super().__init__(f"database schema is at version {found}, this process needs {needed}: run `hop migrate`")
        self.found = found
        self.needed = needed


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
        )


def database_dsn(settings: CoreSettings) -> str:
    if settings.database_url is None:
        raise ValueError("HOP_DATABASE_URL is not set (run through `hop dev` to start an embedded Postgres)")
    return settings.database_url


class ConnectArgs(TypedDict):
    dsn: str
    server_settings: dict[str, str]


def connect_kwargs(settings: CoreSettings) -> ConnectArgs:
    """What asyncpg.connect / create_pool need to reach Hop's schema."""
    return {
        "dsn": database_dsn(settings),
        "server_settings": {"search_path": settings.database_schema, "application_name": "hop"},
    }


@asynccontextmanager
async def open_pool(
    settings: CoreSettings,
    *,
    min_size: int = 1,
    max_size: int | None = None,
    server_settings: dict[str, str] | None = None,
    dsn: str | None = None,
) -> AsyncIterator[asyncpg.Pool]:
    """An asyncpg pool on Hop's schema; ``min_size > 0`` makes a bad DSN fail at start-up.
    ``server_settings`` are Postgres settings of the pool's sessions, besides the schema's; ``dsn``
    another server than HOP_DATABASE_URL's (a replica)."""
    connect = connect_kwargs(settings)
    pool = await asyncpg.create_pool(
        dsn=dsn or connect["dsn"],
        server_settings=connect["server_settings"] | (server_settings or {}),
        min_size=min_size,
        max_size=max_size or settings.database_pool_size,
        command_timeout=30,
        init=_init_connection,
    )
    try:
        yield pool
    finally:
        # shield: a cancelled shutdown must still release the server's connections
        await asyncio.shield(asyncio.wait_for(pool.close(), POOL_CLOSE_TIMEOUT_S))


@asynccontextmanager
async def open_read_pool(
    settings: CoreSettings,
    primary: asyncpg.Pool,
    *,
    read_url: str | None,
    needed: int,
    max_size: int | None = None,
    server_settings: dict[str, str] | None = None,
) -> AsyncIterator[asyncpg.Pool]:
    """Where queries that may read slightly old data go: a pool on ``read_url`` (a streaming replica,
    checked to carry schema version ``needed``), else ``primary`` itself.

    Raises SchemaTooOld when the replica is behind the schema (or OSError: unreachable).
    """
    if read_url is None:
        yield primary
        return
    async with open_pool(settings, max_size=max_size, server_settings=server_settings, dsn=read_url) as pool:
        await require_schema(pool, needed)
        yield pool


async def schema_version(conn: Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))


async def require_schema(pool: asyncpg.Pool, needed: int) -> None:
    """Raises SchemaTooOld when the database is behind what the caller needs."""
    async with pool.acquire() as conn:
        found = await schema_version(conn)
    if found < needed:
        raise SchemaTooOld(found=found, needed=needed)
