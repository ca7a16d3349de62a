"""Orphan visits in the analytics API: admins read them per kind, in the local buckets of their
zone, with the most visited paths and the latest; everyone else gets 403."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from common.settings import Settings
from common.stores import Stores
from tests.admin.api import Account, assert_problem

PATH = "/api/v1/analytics/orphan-visits"
# Two days in Kathmandu (+5:45): [2026-05-01T18:15Z, 2026-05-03T18:15Z).
RANGE = {"from": "2026-05-02", "to": "2026-05-03", "tz": "Asia/Kathmandu"}
VISITS = [
    (datetime(2026, 5, 1, 18, 14, 59, tzinfo=UTC), "/", "base_url"),  # the evening before: outside
    (datetime(2026, 5, 1, 18, 15, tzinfo=UTC), "/", "base_url"),  # 2 May, 00:00 in Kathmandu
    (datetime(2026, 5, 2, 18, 14, tzinfo=UTC), "/gone", "invalid_short_url"),  # 2 May, 23:59
    (datetime(2026, 5, 2, 18, 15, tzinfo=UTC), "/gone", "invalid_short_url"),  # 3 May, 00:00
    (datetime(2026, 5, 3, 9, 0, tzinfo=UTC), "/.env", "regular_404"),
]


async def record_visits(stores: Stores) -> None:
    """Rows as the worker writes them (worker/orphans.py)."""
    for position, (at, path, kind) in enumerate(VISITS):
        await stores.pool.execute(
            """INSERT INTO orphan_visits (visited_at, kind, path, shard, stream_id, position, visitor_hash, is_bot)
               VALUES ($1, $2, $3, 0, '1-0', $4, '', $5)""",
            at,
            kind,
            path,
            position,
            path == "/.env",
        )


async def test_admins_read_orphan_visits_in_their_zone_s_days(
    client: TestClient, root: Account, stores: Stores
) -> None:
    await record_visits(stores)

    answer = client.get(PATH, params=RANGE, headers=root.headers)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["total"], body["bot_visits"]) == (4, 1)
    assert body["by_kind"] == {"base_url": 1, "invalid_short_url": 2, "regular_404": 1}
    assert body["series"] == [
        {"start": "2026-05-02T00:00:00+05:45", "visits": 2},
        {"start": "2026-05-03T00:00:00+05:45", "visits": 2},
    ]
    assert [(row["path"], row["visits"]) for row in body["paths"]] == [("/gone", 2), ("/", 1), ("/.env", 1)]
    assert [row["path"] for row in body["recent"]] == ["/.env", "/gone", "/gone", "/"]
    top = client.get(PATH, params={**RANGE, "top": 1}, headers=root.headers).json()
    assert [row["path"] for row in top["paths"]] == ["/gone"]


def test_orphan_visits_are_for_admins_only(client: TestClient, alice: Account) -> None:
    assert_problem(client.get(PATH, params=RANGE, headers=alice.headers), 403)
    assert_problem(client.get(PATH, params=RANGE), 401)


def test_a_range_off_the_quarter_hour_is_a_clear_422(client: TestClient, root: Account) -> None:
    answer = client.get(PATH, params={"from": "2026-05-02T10:07:00", "tz": "UTC"}, headers=root.headers)
    assert "quarter hour" in assert_problem(answer, 422, "invalid_range")["detail"]


async def test_each_visit_names_its_domain_and_one_domain_s_can_be_read_alone(
    client: TestClient, root: Account, stores: Stores, settings: Settings
) -> None:
    await record_visits(stores)
    # Two more to go.example ('' is the default domain, as the worker stores it).
    for position, path in enumerate(("/", "/gone"), start=len(VISITS)):
        await stores.pool.execute(
            """INSERT INTO orphan_visits (visited_at, kind, path, shard, stream_id, position, visitor_hash, domain)
               VALUES ('2026-05-02T12:00:00Z', 'base_url', $1, 0, '1-0', $2, '', 'go.example')""",
            path,
            position,
        )

    every = client.get(PATH, params=RANGE, headers=root.headers).json()
    assert every["total"] == 6
    assert {(row["domain"], row["path"]) for row in every["recent"]} >= {(None, "/.env"), ("go.example", "/")}
    assert ("go.example", "/gone", 1) in [(row["domain"], row["path"], row["visits"]) for row in every["paths"]]

    on_go = client.get(PATH, params={**RANGE, "domain": "GO.example"}, headers=root.headers).json()
    assert (on_go["total"], {row["domain"] for row in on_go["recent"]}) == (2, {"go.example"})
    default_host = settings.short_base.split("://", 1)[1]
    for default in ("", default_host):
        on_default = client.get(PATH, params={**RANGE, "domain": default}, headers=root.headers).json()
        assert (on_default["total"], {row["domain"] for row in on_default["recent"]}) == (4, {None})
    bad = client.get(PATH, params={**RANGE, "domain": "a/b"}, headers=root.headers)
    assert_problem(bad, 422, "invalid_domain")
