"""Small helpers for driving the admin API in tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx2 import Response  # what starlette's TestClient answers with (httpx2, not httpx)
from starlette.testclient import TestClient

# 15+ characters and not guessable: the password policy (admin/auth/passwords.py) accepts it.
PASSWORD = "correct horse battery staple"
PROBLEM = "application/problem+json"


@dataclass
class Account:
    id: int
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def login(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def register(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    return client.post("/api/v1/auth/register", json={"email": email, "password": password})


def sign_up(client: TestClient, email: str, password: str = PASSWORD) -> Account:
    """A new account, signed in. Registration does not say whether it created one (the same 202 for
    an address that already has an account), so signing in and /users/me prove it did."""
    registered = register(client, email, password)
    assert registered.status_code == 202, registered.text
    tokens = login(client, email, password)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200, me.text
    return Account(me.json()["id"], email, body["access_token"], body["refresh_token"])


def assert_problem(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The problem body of ``response``, after checking it is an RFC 9457 problem with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"].endswith(body["code"])
    if code is not None:
        assert body["code"] == code, body
    return body


def add_link(client: TestClient, account: Account, code: str) -> None:
    """A link ``code`` of ``account``'s, to https://example.com/{code}, made through the API."""
    created = client.post(
        "/api/v1/links", json={"target_url": f"https://example.com/{code}", "code": code}, headers=account.headers
    )
    assert created.status_code == 201, created.text
