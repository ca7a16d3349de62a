"""A read replica (HOP_DATABASE_READ_URL): the analytics queries and the edge's read-through read
it, everything else the primary. A real primary and a real streaming replica (harness/replica.py);
pausing the replica's replay makes the routing visible: what only the primary has yet is not seen."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
import redis

from common.records import REPLICA_RECORD_TTL_S
from common.redis import redis_url
from common.settings import Settings
from common.stores import open_stores
from harness.replica import StreamingPair, caught_up, replay_paused
from harness.stores import run_sync
from tests.admin.api import PASSWORD, sign_up
from tests.admin.conftest import ClientFactory, client_factory
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link, wait_until, wait_until_async

pytestmark = pytest.mark.e2e
__all__ = ["client_factory"]  # the admin app in process, a fixture


@pytest.fixture(scope="module")
def streaming_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamingPair]:
    pair = StreamingPair(tmp_path_factory.mktemp("replication") / "postgres")
    pair.start()
    yield pair
    pair.stop()


@pytest.fixture
def replicated(settings_factory: SettingsFactory, streaming_pair: StreamingPair) -> Iterator[Settings]:
    """Settings on the primary with the replica for reads; the replica replaying again afterwards."""
    settings = settings_factory(
        database_url=streaming_pair.primary.url, database_read_url=streaming_pair.replica.url, negative_ttl=0.05
    )
    run_sync(wait_for_replica(streaming_pair))
    yield settings
    run_sync(replay_paused(streaming_pair.replica.url, paused=False))


async def wait_for_replica(pair: StreamingPair) -> None:
    await wait_until_async(lambda: caught_up(pair.primary.url, pair.replica.url), what="the replica catching up")


async def add_clicks(settings: Settings, code: str, clicks: int) -> None:
    """Clicks in the rollups, as the worker writes them (on the primary)."""
    conn = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.database_schema})
    try:
        await conn.execute(
            """INSERT INTO click_rollups (link_id, bucket, is_bot, clicks, owner_id)
               SELECT id, date_bin('15 minutes', now(), TIMESTAMPTZ '2000-01-01'), false, $2, owner_id
               FROM links WHERE code = $1""",
            code,
            clicks,
        )
    finally:
        await conn.close()


def test_analytics_read_the_replica_and_follow_it(
    replicated: Settings, streaming_pair: StreamingPair, client_factory: ClientFactory
) -> None:
    client = client_factory(replicated)
    account = sign_up(client, f"reader-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    created = client.post(
        "/api/v1/links", json={"target_url": "https://example.com/r", "code": "r"}, headers=account.headers
    )
    assert created.status_code == 201, created.text  # writes go to the primary
    run_sync(wait_for_replica(streaming_pair))
    window = {"from": (datetime.now(UTC) - timedelta(days=1)).date().isoformat()}

    def clicks() -> int:
        response = client.get("/api/v1/links/r/analytics", params=window, headers=account.headers)
        assert response.status_code == 200, response.text
        return int(response.json()["clicks"])

    run_sync(replay_paused(streaming_pair.replica.url, paused=True))
    run_sync(add_clicks(replicated, "r", 5))
    assert clicks() == 0  # the replica has not replayed them

    run_sync(replay_paused(streaming_pair.replica.url, paused=False))
    wait_until(clicks, lambda count: count == 5, what="the replica's analytics showing the 5 clicks")


async def test_the_edge_reads_through_from_the_replica_with_a_short_record_life(
    replicated: Settings, streaming_pair: StreamingPair, edge_factory: ProcessFactory
) -> None:
    edge = edge_factory(replicated)
    await replay_paused(streaming_pair.replica.url, paused=True)
    async with open_stores(replicated) as stores:
        await add_link(stores, replicated, "https://example.com/late", code="late")
    with redis.Redis.from_url(redis_url(replicated)) as client:
        client.delete(f"{replicated.redis_prefix}link:late")  # evicted: the edge must read it through

        async with httpx.AsyncClient(base_url=edge.url) as http:
            assert (await http.get("/late")).status_code == 404  # the paused replica has no such link yet
            await replay_paused(streaming_pair.replica.url, paused=False)
            await wait_for_replica(streaming_pair)
            client.delete(f"{replicated.redis_prefix}link:late")  # the "unknown" the 404 left behind
            found = await wait_until_async(
                lambda: http.get("/late"), lambda response: response.status_code == 302, what="a redirect"
            )
        assert found.headers["location"] == "https://example.com/late"
        assert 0 < client.ttl(f"{replicated.redis_prefix}link:late") <= REPLICA_RECORD_TTL_S
