"""Link changes made while Redis is down reach Redis, and every edge, once it answers again."""

from __future__ import annotations

import asyncio

import redis

from common.records import NEGATIVE
from harness.processes import Process
from harness.stores import PrivateRedis
from tests.admin.api import sign_up
from tests.admin.conftest import ClientFactory
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import wait_until
from tests.traffic import send_requests

OUTAGE_TIMEOUT_S = 30.0  # the worker backs off up to 5 s between reconnections


def edge_status(edge: Process, path: str) -> int:
    statuses = asyncio.run(send_requests(edge.url, [path], concurrency=1))
    (status,) = statuses
    return status


def test_a_link_disabled_while_redis_is_down_stops_redirecting_once_redis_is_back(
    settings_factory: SettingsFactory,
    private_redis: PrivateRedis,
    client_factory: ClientFactory,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
) -> None:
    settings = settings_factory(redis_url=private_redis.url, edge_sync_replay_interval=0.2)
    client = client_factory(settings)
    account = sign_up(client, "outage@example.com")
    created = client.post(
        "/api/v1/links", json={"target_url": "https://example.com/o", "code": "outage"}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    edge = edge_factory(settings)
    worker_factory(settings)
    assert edge_status(edge, "/outage") == 302
    key = f"{settings.redis_prefix}link:outage"
    with redis.Redis.from_url(private_redis.url) as client_redis:
        stale = client_redis.get(key)
    assert stale is not None and stale != NEGATIVE

    private_redis.stop()
    disabled = client.post("/api/v1/links/outage/disable", headers=account.headers)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    private_redis.start()
    with redis.Redis.from_url(private_redis.url) as client_redis:
        # A Redis that kept its data keeps the old record (and its hour-long TTL): put it back.
        client_redis.set(key, stale, ex=3_600)
        wait_until(lambda: client_redis.get(key), lambda value: value == NEGATIVE, timeout=OUTAGE_TIMEOUT_S)
    wait_until(lambda: edge_status(edge, "/outage"), lambda status: status == 404, timeout=OUTAGE_TIMEOUT_S)
