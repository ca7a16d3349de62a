"""Helpers for the browser-session tests: the refresh cookie as the server sets it, and the calls that spend it."""

from __future__ import annotations

from dataclasses import dataclass

from httpx2 import Response
from starlette.testclient import TestClient

from common.settings import Settings
from tests.admin.api import PASSWORD

SESSION = "/api/v1/auth/session"
CSRF = {"X-Hop-CSRF": "1"}
COOKIE = "hop_refresh"


@dataclass(frozen=True)
class SetCookie:
    """One Set-Cookie header: the value, and its attributes by lower-cased name ("" for a flag)."""

    name: str
    value: str
    attributes: dict[str, str]
    raw: str


def set_cookie(response: Response) -> SetCookie:
    """The one Set-Cookie header of ``response``, parsed."""
    headers = response.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    first, *rest = (part.strip() for part in headers[0].split(";"))
    name, _, value = first.partition("=")
    attributes = {}
    for attribute in rest:
        key, _, attribute_value = attribute.partition("=")
        attributes[key.lower()] = attribute_value
    return SetCookie(name, value, attributes, headers[0])


def assert_sets_cookie(response: Response, settings: Settings) -> str:
    """The refresh token ``response`` stores in the cookie, after checking every attribute; it
    must not appear in the body."""
    cookie = set_cookie(response)
    assert cookie.name == COOKIE
    assert cookie.attributes == {
        "httponly": "",
        "samesite": "Strict",
        "path": SESSION,
        "max-age": str(settings.refresh_token_ttl),
    }, cookie.raw  # no Secure: the test environment serves plain HTTP
    assert "SameSite=Strict" in cookie.raw
    assert len(cookie.value) >= 40
    assert cookie.value not in response.text
    return cookie.value


def assert_clears_cookie(response: Response) -> None:
    cookie = set_cookie(response)
    assert (cookie.name, cookie.value.strip('"')) == (COOKIE, "")
    assert cookie.attributes == {"httponly": "", "samesite": "Strict", "path": SESSION, "max-age": "0"}, cookie.raw


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    return client.post(SESSION, json={"email": email, "password": password})


def refresh_with(client: TestClient, token: str) -> Response:
    """Refresh with ``token`` as the cookie, whatever the client's cookie jar holds."""
    return client.post(f"{SESSION}/refresh", headers={**CSRF, "Cookie": f"{COOKIE}={token}"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
