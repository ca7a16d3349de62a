"""What the edge and the worker say at start about the Redis holding the click streams: whether a
restart of it would lose the clicks not yet applied (common/persistence.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import orjson
import pytest
from redis.asyncio import Redis

from common.persistence import RECOMMENDED, read_persistence, report_persistence
from common.settings import Settings
from harness.stores import PrivateRedis
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import PRODUCTION_SECRETS

LOST_ON_RESTART = "has no append-only file: a restart loses every click not yet applied"
PRODUCTION = PRODUCTION_SECRETS


@pytest.fixture
async def ephemeral(private_redis: PrivateRedis) -> AsyncIterator[Redis]:
    client = Redis.from_url(private_redis.url)
    yield client
    await client.aclose()


@pytest.fixture
async def durable(durable_redis: PrivateRedis) -> AsyncIterator[Redis]:
    client = Redis.from_url(durable_redis.url)
    yield client
    await client.aclose()


def records_at(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == level]


async def test_the_append_only_file_is_read_as_keeping_the_streams(durable: Redis) -> None:
    persistence = await read_persistence(durable)
    assert (persistence.appendonly, persistence.appendfsync, persistence.save) == (True, "everysec", "")
    assert persistence.keeps_streams


async def test_without_persistence_production_is_warned_and_other_environments_told(
    ephemeral: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("hop.test.persistence")
    caplog.set_level(logging.INFO, logger.name)

    await report_persistence(ephemeral, Settings(**PRODUCTION), logger)
    await report_persistence(ephemeral, Settings(environment="local"), logger)

    assert records_at(caplog, logging.WARNING) == [f"redis {LOST_ON_RESTART}; set {RECOMMENDED}"]
    assert records_at(caplog, logging.INFO) == [f"redis {LOST_ON_RESTART}; set {RECOMMENDED}"]


async def test_snapshots_alone_are_named_as_not_enough(ephemeral: Redis, caplog: pytest.LogCaptureFixture) -> None:
    await ephemeral.config_set("save", "3600 1")
    logger = logging.getLogger("hop.test.persistence")

    await report_persistence(ephemeral, Settings(**PRODUCTION), logger)

    [warning] = records_at(caplog, logging.WARNING)
    assert "RDB snapshots (3600 1) keep only what the last one held" in warning


async def test_the_append_only_file_is_no_warning_in_production(
    durable: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("hop.test.persistence")
    caplog.set_level(logging.INFO, logger.name)

    await report_persistence(durable, Settings(**PRODUCTION), logger)

    assert records_at(caplog, logging.WARNING) == []
    assert records_at(caplog, logging.INFO) == [
        "redis keeps unapplied clicks across a restart (append-only file, appendfsync everysec)"
    ]


async def test_a_redis_that_refuses_config_is_a_warning_in_production(
    private_redis: PrivateRedis, ephemeral: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # As managed services do: the user may read and write keys, not CONFIG.
    await ephemeral.acl_setuser("hop", enabled=True, passwords=["+secret"], keys="*", commands=["+@all", "-config"])
    limited = Redis.from_url(private_redis.url.replace("redis://", "redis://hop:secret@"))
    logger = logging.getLogger("hop.test.persistence")

    assert await report_persistence(limited, Settings(**PRODUCTION), logger) is None
    await limited.aclose()

    [warning] = records_at(caplog, logging.WARNING)
    assert warning.startswith("could not read redis persistence (")
    assert "make sure it runs with appendonly yes, appendfsync everysec" in warning


async def test_the_edge_and_worker_warn_at_start_in_production_without_persistence(
    settings_factory: SettingsFactory,
    private_redis: PrivateRedis,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
) -> None:
    settings = settings_factory(redis_url=private_redis.url, **PRODUCTION)

    edge = edge_factory(settings)
    worker = worker_factory(settings)

    for process in (edge, worker):
        process.wait_for_log(LOST_ON_RESTART)
        [line] = [line for line in process.log().splitlines() if LOST_ON_RESTART in line]
        assert orjson.loads(line)["level"] == "warning"  # production logs JSON
