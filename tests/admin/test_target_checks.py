"""Postgres refuses unsafe link rows itself (migration 0004), whoever writes them."""

from __future__ import annotations

import asyncpg
import pytest

from common.settings import Settings
from tests.admin.db import sql

INSERT = "INSERT INTO links (code, target_url, redirect_status) VALUES ($1, $2, $3)"

UNSAFE_TARGETS = [
    "javascript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "HTTPS://example.com/",
    "Http://example.com/",
    " https://example.com/",
    "//example.com/",
    "https:example.com",
    "https://example.com/\r\nSet-Cookie: a=1",
    "https://example.com/\x7f",
    "https://example.com/\x01",
]


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_an_unsafe_target_written_by_sql_is_a_check_violation(settings: Settings, target: str) -> None:
    with pytest.raises(asyncpg.CheckViolationError) as raised:
        sql(settings, INSERT, "bad", target, 302)
    assert raised.value.constraint_name == "links_target_url_safe"
    assert sql(settings, "SELECT count(*) FROM links")[0][0] == 0


def test_an_unsafe_target_cannot_be_written_by_update_either(settings: Settings) -> None:
    sql(settings, INSERT, "good", "https://example.com/", 302)
    with pytest.raises(asyncpg.CheckViolationError):
        sql(settings, "UPDATE links SET target_url = 'javascript:alert(1)' WHERE code = 'good'")
    assert sql(settings, "SELECT target_url FROM links")[0][0] == "https://example.com/"


@pytest.mark.parametrize("status", [200, 303, 304, 0, -302])
def test_a_redirect_status_outside_301_302_307_308_is_a_check_violation(settings: Settings, status: int) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        sql(settings, INSERT, "bad", "https://example.com/", status)


def test_canonical_targets_are_accepted(settings: Settings) -> None:
    for n, target in enumerate(["http://example.com/", "https://xn--bcher-kva.example/stra%C3%9Fe?q=|#%20"]):
        sql(settings, INSERT, f"ok{n}", target, 301 + n)
    assert sql(settings, "SELECT count(*) FROM links")[0][0] == 2
