"""User administration: listing, disabling (links leave the edge) and enabling; roles."""

from __future__ import annotations

import subprocess

from starlette.testclient import TestClient

from common.records import NEGATIVE, LinkRecord
from common.settings import Settings
from harness.processes import run_hop
from tests.admin.api import Account, assert_problem, login
from tests.admin.db import sql
from tests.admin.routes.test_links import create, edge_record


def test_only_admins_list_users(client: TestClient, alice: Account, bob: Account, root: Account) -> None:
    assert_problem(client.get("/api/v1/users", headers=alice.headers), 403, "admin_required")
    page = client.get("/api/v1/users", headers=root.headers).json()
    assert page["count"] == 3
    assert [u["id"] for u in page["data"]] == sorted([alice.id, bob.id, root.id])
    assert all("password" not in str(u) for u in page["data"])
    found = client.get("/api/v1/users", params={"q": "bob-"}, headers=root.headers).json()
    assert [u["email"] for u in found["data"]] == [bob.email]
    second = client.get("/api/v1/users", params={"limit": 2, "page": 2}, headers=root.headers).json()
    assert len(second["data"]) == 1 and second["count"] == 3


def test_disabling_a_user_takes_their_links_off_the_edge(
    client: TestClient, alice: Account, bob: Account, root: Account, settings: Settings
) -> None:
    for n in range(3):
        create(client, alice, code=f"alice{n}")
    create(client, bob, code="bob0")
    assert_problem(client.post(f"/api/v1/users/{alice.id}/disable", headers=bob.headers), 403, "admin_required")

    disabled = client.post(f"/api/v1/users/{alice.id}/disable", headers=root.headers)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert all(edge_record(settings, f"alice{n}") == NEGATIVE for n in range(3))
    assert isinstance(edge_record(settings, "bob0"), LinkRecord)
    assert_problem(client.get("/api/v1/links", headers=alice.headers), 403, "account_disabled")
    assert_problem(login(client, alice.email), 403, "account_disabled")
    # An admin changing a disabled user's link must not bring it back to the edge.
    client.patch("/api/v1/links/alice0", json={"title": "edited"}, headers=root.headers)
    assert edge_record(settings, "alice0") == NEGATIVE

    enabled = client.post(f"/api/v1/users/{alice.id}/enable", headers=root.headers)
    assert enabled.json()["disabled"] is False
    assert all(isinstance(edge_record(settings, f"alice{n}"), LinkRecord) for n in range(3))
    assert login(client, alice.email).status_code == 200


def test_disable_edge_cases(client: TestClient, root: Account) -> None:
    assert_problem(client.post(f"/api/v1/users/{root.id}/disable", headers=root.headers), 409, "cannot_disable_self")
    assert_problem(client.post("/api/v1/users/999999/disable", headers=root.headers), 404, "user_not_found")
    assert_problem(client.post("/api/v1/users/0/enable", headers=root.headers), 422)


def test_hop_user_create_bootstraps_an_admin(client: TestClient, settings: Settings) -> None:
    def hop(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return run_hop(settings, "user", "create", *args, stdin=stdin)

    made = hop("--admin", "first@example.com", "--password-stdin", stdin="a long admin passphrase\n")
    assert made.returncode == 0, made.stderr
    assert "created admin first@example.com" in made.stdout
    token = login(client, "first@example.com", "a long admin passphrase").json()["access_token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["is_admin"] is True and me["role"] == "admin"

    short = hop("second@example.com", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "password" in short.stderr
    assert [r["role"] for r in sql(settings, "SELECT role FROM users ORDER BY id")] == ["admin"]
