"""Postgres going away answers 503 problems with Retry-After, not 500s, and the admin recovers by itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.testclient import TestClient

from admin.app import create_app
from admin.auth.deps import StoresDep
from common.settings import Settings
from harness.pgproxy import PostgresProxy
from tests.admin.api import PASSWORD, assert_problem, sign_up
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.helpers import wait_until


@pytest.fixture
def proxy(settings: Settings) -> Iterator[PostgresProxy]:
    assert settings.database_url is not None
    running = PostgresProxy(settings.database_url)
    running.start()
    yield running
    running.stop()


def test_a_postgres_outage_is_a_503_problem_with_retry_after(
    client_factory: ClientFactory, settings: Settings, proxy: PostgresProxy
) -> None:
    client = client_factory(settings.model_copy(update={"database_url": proxy.url}))
    alice = sign_up(client, f"alice-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    assert client.get("/api/v1/links", headers=alice.headers).status_code == 200

    proxy.cut()
    # The pool's open connection is gone, then reconnecting is refused: both are the same 503.
    for _ in range(2):
        response = client.get("/api/v1/links", headers=alice.headers)
        assert_problem(response, 503, "database_unavailable")
        assert response.headers["Retry-After"] == "5"
    created = client.post("/api/v1/links", json={"target_url": "https://example.com/"}, headers=alice.headers)
    assert_problem(created, 503, "database_unavailable")
    assert_problem(client.post("/api/v1/auth/login", json={"email": alice.email, "password": PASSWORD}), 503)

    proxy.restore()
    wait_until(
        lambda: client.get("/api/v1/links", headers=alice.headers).status_code,
        lambda status: status == 200,
        what="the admin to reconnect to Postgres",
    )


def test_a_connection_lost_mid_query_is_a_503_problem(settings: Settings, proxy: PostgresProxy) -> None:
    app = create_app(settings.model_copy(update={"database_url": proxy.url}))

    async def slow(stores: StoresDep) -> None:
        await stores.pool.execute("SELECT pg_sleep(10) /* hop-test-slow */")

    app.add_api_route("/slow", slow)
    with TestClient(app) as client, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.get, "/slow")
        wait_until(
            lambda: sql(settings, "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%hop-test-slow */'"),
            lambda rows: rows[0]["n"] >= 1,
            what="the slow query to run",
        )
        proxy.cut()
        response = pending.result(timeout=10)
    assert_problem(response, 503, "database_unavailable")
    assert response.headers["Retry-After"] == "5"
