"""Link creation is rate limited per user in Redis (fixed windows, one atomic script per request)."""

from __future__ import annotations

import asyncio
import uuid

from starlette.testclient import TestClient

from admin.routes.links import take_quota
from common.stores import open_stores
from harness.stores import PrivateRedis
from tests.admin.api import PASSWORD, Account, assert_problem, sign_up
from tests.admin.conftest import ClientFactory
from tests.conftest import SettingsFactory


def new_account(client: TestClient, name: str) -> Account:
    return sign_up(client, f"{name}-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)


def create(client: TestClient, account: Account, n: int) -> int:
    response = client.post("/api/v1/links", json={"target_url": f"https://example.com/{n}"}, headers=account.headers)
    return response.status_code


def test_single_creations_over_the_minute_limit_get_429(
    client_factory: ClientFactory, settings_factory: SettingsFactory
) -> None:
    client = client_factory(settings_factory(link_create_per_minute=3, link_create_per_day=100))
    alice, bob = new_account(client, "alice"), new_account(client, "bob")
    assert [create(client, alice, n) for n in range(3)] == [201, 201, 201]
    refused = client.post("/api/v1/links", json={"target_url": "https://example.com/x"}, headers=alice.headers)
    problem = assert_problem(refused, 429, "link_rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Retry-After" in refused.headers and problem["detail"]
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 3
    # Per user: bob has his own windows.
    assert create(client, bob, 0) == 201


def test_bulk_and_import_count_each_link(client_factory: ClientFactory, settings_factory: SettingsFactory) -> None:
    client = client_factory(settings_factory(link_create_per_minute=0, link_create_per_day=5))
    alice = new_account(client, "alice")
    items = [{"target_url": f"https://example.com/{n}"} for n in range(3)]
    first = client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers)
    assert first.status_code == 200 and first.json()["created"] == 3
    assert "Retry-After" not in first.headers

    # Two fit: the first two are created, the rest are reported, with Retry-After up to a day.
    csv = "target_url\r\n" + "".join(f"https://example.com/i{n}\r\n" for n in range(4))
    partial = client.post(
        "/api/v1/links/import.csv", content=csv, headers={**alice.headers, "Content-Type": "text/csv"}
    )
    assert partial.status_code == 200, partial.text
    body = partial.json()
    assert (body["created"], body["failed"]) == (2, 2)
    assert [r["error"]["code"] for r in body["results"] if not r["ok"]] == ["link_rate_limited"] * 2
    assert [r["index"] for r in body["results"] if r["ok"]] == [0, 1]
    assert 60 < int(partial.headers["Retry-After"]) <= 86_400

    # Nothing fits: the whole request is refused and nothing is created.
    refused = client.post("/api/v1/links/bulk", json={"links": items[:1]}, headers=alice.headers)
    assert_problem(refused, 429, "link_rate_limited")
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 5


async def test_the_quota_is_atomic_under_concurrency(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(link_create_per_minute=50, link_create_per_day=1_000)
    async with open_stores(settings) as stores:
        grants = await asyncio.gather(*(take_quota(stores, settings, user_id=7, wanted=3) for _ in range(40)))
        assert sum(grant.granted for grant in grants) == 50
        assert all(grant.retry_after > 0 for grant in grants if grant.granted < 3)
        other = await take_quota(stores, settings, user_id=8, wanted=3)
        assert other.granted == 3


def test_creation_goes_on_when_redis_is_down(
    client_factory: ClientFactory, settings_factory: SettingsFactory, private_redis: PrivateRedis
) -> None:
    client = client_factory(settings_factory(redis_url=private_redis.url, link_create_per_minute=1))
    alice = new_account(client, "alice")
    private_redis.stop()
    assert [create(client, alice, n) for n in range(2)] == [201, 201]
