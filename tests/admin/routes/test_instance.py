"""First run: GET /instance says whether the instance needs its first admin; POST /instance/setup
creates it, signed in, exactly once, however many calls race."""

from __future__ import annotations

import asyncio
from importlib.metadata import version

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from admin.auth.passwords import hash_password_async
from common.settings import Settings
from tests.admin.api import PASSWORD, Account, assert_problem, register
from tests.admin.asgi import in_process_admin
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.admin.sessions import CSRF, SESSION, assert_sets_cookie, bearer
from tests.conftest import SettingsFactory

INSTANCE = "/api/v1/instance"
SETUP = "/api/v1/instance/setup"


def _setup(client: TestClient, email: str = "first@example.com", password: str = PASSWORD) -> Response:
    return client.post(SETUP, json={"email": email, "password": password})


def test_instance_describes_a_fresh_instance(client: TestClient, settings: Settings) -> None:
    response = client.get(INSTANCE)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "setup_required": True,
        "open_registration": settings.open_registration,
        "short_base_url": settings.short_base,
        "version": version("hop"),
    }


def test_instance_shows_closed_registration(settings_factory: SettingsFactory, client_factory: ClientFactory) -> None:
    settings = settings_factory(open_registration=False, short_base_url="https://hop.example/")
    body = client_factory(settings).get(INSTANCE).json()
    assert (body["open_registration"], body["short_base_url"]) == (False, "https://hop.example")


def test_setup_creates_the_first_admin_signed_in(client: TestClient, settings: Settings) -> None:
    created = client.post(SETUP, json={"email": "First@Example.com", "password": PASSWORD})
    assert created.status_code == 201, created.text
    assert set(created.json()) == {"access_token", "token_type", "expires_in"}
    assert_sets_cookie(created, settings)
    me = client.get("/api/v1/users/me", headers=bearer(created.json()["access_token"])).json()
    assert (me["email"], me["role"], me["is_admin"]) == ("First@example.com", "admin", True)
    assert client.get("/api/v1/users", headers=bearer(created.json()["access_token"])).status_code == 200
    # The cookie is a real session: the browser renews it as after any sign-in.
    assert client.post(f"{SESSION}/refresh", headers=CSRF).status_code == 200
    assert client.get(INSTANCE).json()["setup_required"] is False

    entries = client.get("/api/v1/audit", headers=bearer(created.json()["access_token"])).json()["data"]
    assert [(e["actor_id"], e["actor_kind"], e["action"], e["entity_id"], e["new_values"]) for e in entries] == [
        (me["id"], "user", "user.create", me["id"], {"email": "First@example.com", "role": "admin"})
    ]
    again = _setup(client, "second@example.com")
    assert_problem(again, 409, "setup_done")
    assert not again.headers.get_list("set-cookie")
    assert len(sql(settings, "SELECT id FROM users")) == 1


def test_setup_is_done_once_any_account_exists(client: TestClient, alice: Account, settings: Settings) -> None:
    assert client.get(INSTANCE).json()["setup_required"] is False
    assert_problem(_setup(client), 409, "setup_done")
    # Checked before the password: a weak one gets the same answer.
    assert_problem(_setup(client, password="aaaaaaaaaaaaaaaaaaaa"), 409, "setup_done")
    assert [row["role"] for row in sql(settings, "SELECT role FROM users")] == ["user"]


def test_setup_refuses_a_weak_password_or_a_bad_body(client: TestClient, settings: Settings) -> None:
    weak = assert_problem(_setup(client, password="aaaaaaaaaaaaaaaaaaaa"), 422, "weak_password")
    assert weak["errors"][0]["loc"] == ["body", "password"]
    for body in ({"email": "not-an-address", "password": PASSWORD}, {"email": "a@example.com"}, {"role": "admin"}):
        assert_problem(client.post(SETUP, json=body), 422, "validation_failed")
    assert sql(settings, "SELECT id FROM users") == []
    assert client.get(INSTANCE).json()["setup_required"] is True


def test_registration_ends_the_setup(client: TestClient, settings: Settings) -> None:
    assert register(client, "early@example.com").status_code == 202
    assert client.get(INSTANCE).json()["setup_required"] is False
    assert_problem(_setup(client), 409, "setup_done")


@pytest.mark.parametrize("racers", [2, 6])
async def test_concurrent_setups_create_exactly_one_admin(
    settings: Settings, racers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hashing takes each racer a different time: held at a barrier after it, they all reach the
    # check-and-insert together, the moment a missing lock would let each of them see no account.
    barrier = asyncio.Barrier(racers)

    async def hash_then_wait(password: str) -> str:
        hashed = await hash_password_async(password)
        await barrier.wait()
        return hashed

    monkeypatch.setattr("admin.users.hash_password_async", hash_then_wait)
    async with in_process_admin(settings) as admin:
        clients = [await admin.client(f"192.0.2.{n + 1}") for n in range(racers)]
        answers = await asyncio.gather(
            *(
                client.post(SETUP, json={"email": f"racer{n}@example.com", "password": PASSWORD})
                for n, client in enumerate(clients)
            )
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (racers - 1), [answer.text for answer in answers]
    assert all(answer.json()["code"] == "setup_done" for answer in answers if answer.status_code == 409)
    users = sql(settings, "SELECT email, role FROM users")
    assert len(users) == 1 and users[0]["role"] == "admin"
    winner = next(n for n, answer in enumerate(answers) if answer.status_code == 201)
    assert users[0]["email"] == f"racer{winner}@example.com"
    assert len(sql(settings, "SELECT id FROM audit_log WHERE action = 'user.create'")) == 1
