"""Password-protected links through the API: the password is write-only, stored as an argon2id hash
that reaches the edge's record, changed or removed by PATCH, and never shown again (answers, the
audit log, CSV, log lines)."""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from starlette.testclient import TestClient

from common.link_passwords import MAX_LINK_PASSWORD_LENGTH, MIN_LINK_PASSWORD_LENGTH
from common.records import LinkRecord
from common.settings import Settings
from harness.processes import run_hop
from tests.admin.api import Account, assert_problem
from tests.admin.db import sql
from tests.admin.routes.test_links import create, edge_record
from tests.admin.test_audit import entries

FIRST = "open sesame"
SECOND = "swordfish 2"


def assert_no_secret(text: str, *passwords: str) -> None:
    """Neither a clear-text password nor any argon2 hash, nor the column's name, is in ``text``."""
    for password in passwords:
        assert password not in text
    assert "$argon2" not in text
    assert "password_hash" not in text


def stored_hash(settings: Settings, code: str) -> str | None:
    value: str | None = sql(settings, "SELECT password_hash FROM links WHERE code = $1", code)[0]["password_hash"]
    return value


def version(settings: Settings, code: str) -> int:
    return int(sql(settings, "SELECT version FROM links WHERE code = $1", code)[0]["version"])


def edge_hash(settings: Settings, code: str) -> str | None:
    record = edge_record(settings, code)
    assert isinstance(record, LinkRecord), record
    return record.password_hash


def verifies(password_hash: str | None, password: str) -> bool:
    assert password_hash is not None and password_hash.startswith("$argon2id$"), password_hash
    try:
        return PasswordHasher().verify(password_hash, password)
    except VerifyMismatchError:
        return False


def patch(client: TestClient, account: Account, code: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(f"/api/v1/links/{code}", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    assert_no_secret(response.text, FIRST, SECOND)
    result: dict[str, Any] = response.json()
    return result


def test_a_password_is_stored_only_as_its_hash_and_reaches_the_edge(
    client: TestClient, alice: Account, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.post(
        "/api/v1/links",
        json={"target_url": "https://example.com/", "code": "locked", "password": FIRST},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    link = response.json()
    assert link["has_password"] is True
    assert "password" not in link
    assert_no_secret(response.text, FIRST)
    assert create(client, alice, code="open")["has_password"] is False

    shown = [
        client.get("/api/v1/links/locked", headers=alice.headers),
        client.get("/api/v1/links", headers=alice.headers),
    ]
    for answer in shown:
        assert answer.status_code == 200
        assert_no_secret(answer.text, FIRST)
    assert {item["code"]: item["has_password"] for item in shown[1].json()["data"]} == {"locked": True, "open": False}

    password_hash = edge_hash(settings, "locked")
    assert password_hash == stored_hash(settings, "locked")
    assert verifies(password_hash, FIRST) and not verifies(password_hash, "open sesame!")
    assert edge_hash(settings, "open") is None
    assert_no_secret(caplog.text, FIRST)


def test_patch_sets_a_new_password_keeps_it_or_removes_it(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    create(client, alice, code="guarded", password=FIRST)
    first_hash, first_version = stored_hash(settings, "guarded"), version(settings, "guarded")

    assert patch(client, alice, "guarded", {"password": SECOND})["has_password"] is True
    second_hash = edge_hash(settings, "guarded")
    assert second_hash == stored_hash(settings, "guarded") != first_hash
    assert verifies(second_hash, SECOND) and not verifies(second_hash, FIRST)
    # Only the password changed, and the link's version moved: the change is queued for the edge too.
    assert version(settings, "guarded") == first_version + 1

    assert patch(client, alice, "guarded", {"title": "Still locked"})["has_password"] is True
    assert stored_hash(settings, "guarded") == second_hash

    assert patch(client, alice, "guarded", {"password": None})["has_password"] is False
    assert stored_hash(settings, "guarded") is None
    assert edge_hash(settings, "guarded") is None

    assert patch(client, alice, "guarded", {"password": FIRST})["has_password"] is True
    assert verifies(edge_hash(settings, "guarded"), FIRST)


def test_a_password_too_short_or_too_long_is_a_422_naming_the_field(client: TestClient, alice: Account) -> None:
    create(client, alice, code="target")
    too_short, too_long = "x" * (MIN_LINK_PASSWORD_LENGTH - 1), "x" * (MAX_LINK_PASSWORD_LENGTH + 1)
    for password, bound in ((too_short, MIN_LINK_PASSWORD_LENGTH), (too_long, MAX_LINK_PASSWORD_LENGTH)):
        made = client.post(
            "/api/v1/links", json={"target_url": "https://e.com/", "password": password}, headers=alice.headers
        )
        changed = client.patch("/api/v1/links/target", json={"password": password}, headers=alice.headers)
        for response in (made, changed):
            problem = assert_problem(response, 422, "validation_failed")
            assert [error["loc"] for error in problem["errors"]] == [["body", "password"]]
            assert "a link password" in problem["detail"] and str(bound) in problem["detail"]
            assert password not in response.text
    assert_problem(
        client.post("/api/v1/links", json={"target_url": "https://e.com/", "password": 1234}, headers=alice.headers),
        422,
        "validation_failed",
    )
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 1
    for password in ("x" * MIN_LINK_PASSWORD_LENGTH, "x" * MAX_LINK_PASSWORD_LENGTH):
        assert create(client, alice, password=password)["has_password"] is True


def test_the_audit_log_says_whether_never_what(
    client: TestClient, alice: Account, root: Account, settings: Settings
) -> None:
    create(client, alice, code="audited", password=FIRST)
    patch(client, alice, "audited", {"password": SECOND})
    patch(client, alice, "audited", {"password": None})

    log = entries(client, root, entity_type="link", entity_code="audited")
    assert [e["action"] for e in log] == ["link.update", "link.update", "link.create"]
    removed, changed, created = log
    assert created["new_values"]["has_password"] is True
    # A new password on a protected link: no value changes, yet the entry says it was set.
    assert (changed["old_values"], changed["new_values"]) == ({"has_password": True}, {"has_password": True})
    assert (removed["old_values"], removed["new_values"]) == ({"has_password": True}, {"has_password": False})
    stored = sql(settings, "SELECT old_values::text AS old, new_values::text AS new FROM audit_log")
    assert_no_secret(repr([dict(row) for row in stored]), FIRST, SECOND)


def test_bulk_create_takes_passwords_each_hashed_with_its_own_salt(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    items = [
        {"target_url": "https://example.com/1", "code": "bulk-a", "password": FIRST},
        {"target_url": "https://example.com/2", "code": "bulk-b"},
        {"target_url": "https://example.com/3", "code": "bulk-c", "password": FIRST},
        {"target_url": "https://example.com/4", "code": "bulk-d", "password": "abc"},
    ]
    response = client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert_no_secret(response.text, FIRST)
    results = response.json()["results"]
    assert [r["ok"] and r["link"]["has_password"] for r in results[:3]] == [True, False, True]
    assert results[3]["error"]["code"] == "validation_failed"
    assert "password" in results[3]["error"]["detail"] and "abc" not in results[3]["error"]["detail"]

    hashes = [edge_hash(settings, code) for code in ("bulk-a", "bulk-c")]
    assert all(verifies(password_hash, FIRST) for password_hash in hashes)
    assert hashes[0] != hashes[1]
    assert edge_hash(settings, "bulk-b") is None


def test_csv_carries_no_passwords(client: TestClient, alice: Account) -> None:
    create(client, alice, code="secretive", password=FIRST)
    exported = client.get("/api/v1/links/export.csv", headers=alice.headers)
    assert exported.status_code == 200
    assert_no_secret(exported.text, FIRST)
    assert not any("password" in column for column in next(csv.reader(io.StringIO(exported.text))))

    rows = f"code,target_url,password\r\nimported,https://example.com/i,{FIRST}\r\n"
    headers = {**alice.headers, "Content-Type": "text/csv"}
    imported = client.post("/api/v1/links/import.csv", content=rows, headers=headers)
    assert imported.json()["results"][0]["link"]["has_password"] is False


def test_hop_link_add_reads_the_password_from_stdin_never_from_its_arguments(settings: Settings) -> None:
    added = run_hop(
        settings, "link", "add", "https://example.com/cli", "--code", "clipw", "--password-stdin", stdin="cli secret\n"
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().endswith("(302, password)")
    assert_no_secret(added.stdout + added.stderr, "cli secret")
    stored = stored_hash(settings, "clipw")
    assert stored is not None and PasswordHasher().verify(stored, "cli secret")

    short = run_hop(
        settings, "link", "add", "https://example.com/cli", "--code", "clishort", "--password-stdin", stdin="abc\n"
    )
    assert short.returncode == 1
    assert f"at least {MIN_LINK_PASSWORD_LENGTH} characters" in short.stderr and "abc" not in short.stderr
    assert sql(settings, "SELECT count(*) AS n FROM links WHERE code = $1", "clishort")[0]["n"] == 0
