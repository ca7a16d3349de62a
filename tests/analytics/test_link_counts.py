"""Human and bot clicks on the link objects: the API, the list, the CSV export and `hop link show`
all show click_count (every click), human_clicks and bot_clicks, and agree with the analytics."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from starlette.testclient import TestClient

from common.migrate import discover
from common.records import NEGATIVE
from common.settings import Settings
from common.stores import Stores
from harness.processes import run_hop
from tests.admin.api import Account
from tests.analytics.seed import CHROME, apply_clicks

CURL = "curl/8.5.0"
AT = datetime(2026, 5, 5, 10, tzinfo=UTC)
RANGE = {"from": "2026-05-01", "to": "2026-05-31"}
COUNTS = ("click_count", "human_clicks", "bot_clicks")


def create(client: TestClient, account: Account, code: str, **body: Any) -> None:
    body |= {"target_url": "https://example.com/", "code": code}
    response = client.post("/api/v1/links", json=body, headers=account.headers)
    assert response.status_code == 201, response.text


def counts(item: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(item[key]) for key in COUNTS)


async def one_curl_and_one_browser_click(stores: Stores, settings: Settings, code: str) -> None:
    await apply_clicks(stores, settings, code, [AT], agent=CURL, ip="198.51.100.7")
    await apply_clicks(stores, settings, code, [AT], agent=CHROME)


async def test_every_link_view_shows_human_and_bot_clicks_as_analytics_does(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "split")
    await one_curl_and_one_browser_click(stores, settings, "split")

    link = client.get("/api/v1/links/split", headers=alice.headers).json()
    assert counts(link) == (2, 1, 1)
    listed = client.get("/api/v1/links", headers=alice.headers).json()["data"]
    assert [(item["code"], *counts(item)) for item in listed] == [("split", 2, 1, 1)]
    exported = client.get("/api/v1/links/export.csv", headers=alice.headers).text
    [row] = csv.DictReader(io.StringIO(exported))
    assert counts(row) == (2, 1, 1)
    shown = run_hop(settings, "link", "show", "split")
    assert shown.returncode == 0, shown.stderr
    assert {"click_count: 2", "human_clicks: 1", "bot_clicks: 1"} <= set(shown.stdout.splitlines())

    # The analytics of the same clicks say the same.
    totals = client.get("/api/v1/links/split/analytics", params=RANGE, headers=alice.headers).json()
    assert (totals["total_clicks"], totals["human_clicks"], totals["bot_clicks"]) == counts(link)
    assert totals["click_count"] == link["click_count"]


async def test_bot_clicks_count_towards_max_clicks(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "capped", max_clicks=2)
    await one_curl_and_one_browser_click(stores, settings, "capped")
    assert counts(client.get("/api/v1/links/capped", headers=alice.headers).json()) == (2, 1, 1)
    assert await stores.redis.get(stores.keys.link("capped")) == NEGATIVE


async def test_the_migration_fills_bot_clicks_of_existing_links_from_the_rollups(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "old")
    create(client, alice, "quiet")
    await one_curl_and_one_browser_click(stores, settings, "old")
    await apply_clicks(stores, settings, "old", [AT, AT], agent=CURL, ip="198.51.100.8")
    # The schema as it was before 0008, with the clicks already counted, then 0008 itself.
    await stores.pool.execute("ALTER TABLE links DROP COLUMN bot_clicks")
    migration = next(m for m in discover() if m.version == 8)
    await stores.pool.execute(migration.sql())
    rows = await stores.pool.fetch("SELECT code, click_count, bot_clicks FROM links ORDER BY code")
    assert [tuple(row) for row in rows] == [("old", 4, 3), ("quiet", 0, 0)]
    assert counts(client.get("/api/v1/links/old", headers=alice.headers).json()) == (4, 1, 3)
