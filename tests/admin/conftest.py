"""The admin app in process (TestClient runs its lifespan) against real Redis and Postgres."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from admin.app import create_app
from common.settings import Settings
from tests.admin.api import PASSWORD, Account, sign_up
from tests.admin.db import sql

ClientFactory = Callable[[Settings], TestClient]


@pytest.fixture
def client_factory() -> Iterator[ClientFactory]:
    opened: list[TestClient] = []

    def make(settings: Settings) -> TestClient:
        client = TestClient(create_app(settings), base_url="http://admin.test")
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_factory: ClientFactory, settings: Settings) -> TestClient:
    return client_factory(settings)


@pytest.fixture
def alice(client: TestClient) -> Account:
    return sign_up(client, f"alice-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)


@pytest.fixture
def bob(client: TestClient) -> Account:
    return sign_up(client, f"bob-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)


@pytest.fixture
def root(client: TestClient, settings: Settings) -> Account:
    """An admin (promoted in the database, as `hop user create --admin` would have made it)."""
    account = sign_up(client, f"root-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    sql(settings, "UPDATE users SET role = 'admin' WHERE id = $1", account.id)
    return account
