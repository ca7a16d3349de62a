"""The routes breakdown of one link's analytics: clicks fed through the real click stream and the real
worker, counted per route from the link's dimension rows (quarter-hour edges, whole days, whole weeks);
the link's own target ("") is what the routes leave of the totals. The account overview has none."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from starlette.testclient import TestClient

from common.settings import Settings
from common.stores import Stores
from tests.admin.api import Account
from tests.admin.db import sql
from tests.analytics.seed import GOOGLEBOT, IPHONE, apply_clicks

# All of May in Berlin: [2026-04-30T22:00Z, 2026-05-31T22:00Z), whole UTC weeks inside it.
RANGE = {"from": "2026-05-01", "to": "2026-05-31", "tz": "Europe/Berlin"}
HEAD = datetime(2026, 4, 30, 23, 15, tzinfo=UTC)  # a quarter hour of the partial first UTC day
DAY = datetime(2026, 5, 1, 10, tzinfo=UTC)  # a whole day before the first whole week (from Monday 4 May)
WEEK = datetime(2026, 5, 13, 8, 30, tzinfo=UTC)  # inside a whole week
TAIL = datetime(2026, 5, 31, 21, 45, tzinfo=UTC)  # a quarter hour of the partial last UTC day
OUTSIDE = datetime(2026, 6, 2, 12, tzinfo=UTC)


def create(client: TestClient, account: Account, code: str, **body: Any) -> None:
    body = {"target_url": "https://example.com/", "code": code, **body}
    response = client.post("/api/v1/links", json=body, headers=account.headers)
    assert response.status_code == 201, response.text


def counts(value: str, human: int, bots: int = 0, *, include_bots: bool = False) -> dict[str, Any]:
    clicks = human + (bots if include_bots else 0)
    return {"value": value, "clicks": clicks, "human_clicks": human, "bot_clicks": bots}


def analytics(client: TestClient, account: Account, code: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/links/{code}/analytics", params=RANGE | params, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_clicks_are_counted_per_route_and_the_rest_went_to_the_links_own_target(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    rules = [{"name": "Mobile", "target": "https://example.com/m", "conditions": {"devices": ["mobile"]}}]
    split = [{"target": "https://example.com/a", "weight": 70}, {"target": "https://example.com/b", "weight": 30}]
    create(client, alice, "ab", rules=rules, variants=split)
    create(client, alice, "other", variants=split)
    await apply_clicks(stores, settings, "ab", [HEAD, DAY, WEEK], route="variant:A")
    await apply_clicks(stores, settings, "ab", [WEEK, TAIL], route="variant:B", ip="198.51.100.2")
    await apply_clicks(stores, settings, "ab", [DAY], route="variant:B", agent=GOOGLEBOT)
    await apply_clicks(stores, settings, "ab", [WEEK], route="rule:Mobile", agent=IPHONE)
    await apply_clicks(stores, settings, "ab", [WEEK, TAIL])  # before the link was routed, say
    await apply_clicks(stores, settings, "ab", [OUTSIDE], route="variant:A")
    await apply_clicks(stores, settings, "other", [WEEK, WEEK, WEEK, WEEK], route="variant:A")

    body = analytics(client, alice, "ab")
    assert (body["clicks"], body["bot_clicks"]) == (8, 1)
    assert body["routes"] == [
        counts("variant:A", 3),
        counts("", 2),
        counts("variant:B", 2, 1),
        counts("rule:Mobile", 1),
    ]
    with_bots = analytics(client, alice, "ab", include_bots=True)["routes"]
    assert with_bots == [
        counts("variant:A", 3, include_bots=True),
        counts("variant:B", 2, 1, include_bots=True),
        counts("", 2, include_bots=True),
        counts("rule:Mobile", 1, include_bots=True),
    ]
    assert analytics(client, alice, "ab", top=2)["routes"] == [counts("variant:A", 3), counts("", 2)]
    # Each range on its own: a UTC day of it, read from quarter-hour rows and the day's row.
    day = analytics(client, alice, "ab", **{"from": "2026-05-01T00:00:00Z", "to": "2026-05-02T00:00:00Z"})
    assert day["routes"] == [counts("variant:A", 1)]  # variant:B had only a bot that day

    # Each click says where it went: in the recent clicks (humans, whatever the range) and the raw export.
    recent = client.get("/api/v1/links/ab/clicks", params={"limit": 100}, headers=alice.headers).json()
    assert Counter(click["route"] for click in recent) == {"variant:A": 4, "variant:B": 2, "rule:Mobile": 1, None: 2}
    exported = client.get("/api/v1/links/ab/clicks.csv", params=RANGE, headers=alice.headers).text
    assert Counter(row["route"] for row in csv.DictReader(io.StringIO(exported))) == {
        "variant:A": 3,
        "variant:B": 3,
        "rule:Mobile": 1,
        "": 2,
    }

    # The account's overview has no routes: each link names its own, and the worker keeps no account rows of them.
    overview = client.get("/api/v1/analytics/overview", params=RANGE, headers=alice.headers).json()
    assert overview["clicks"] == 12 and "routes" not in overview
    owner_rows = sql(settings, "SELECT count(*) FROM owner_dimension_rollups WHERE dimension = 'route'")
    assert owner_rows[0][0] == 0


async def test_an_unrouted_link_has_only_its_own_target_and_no_clicks_no_routes(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "plain")
    assert analytics(client, alice, "plain")["routes"] == []
    await apply_clicks(stores, settings, "plain", [DAY, WEEK])
    await apply_clicks(stores, settings, "plain", [WEEK], agent=GOOGLEBOT)
    assert analytics(client, alice, "plain")["routes"] == [counts("", 2, 1)]
    assert analytics(client, alice, "plain", include_bots=True)["routes"] == [counts("", 2, 1, include_bots=True)]
    assert sql(settings, "SELECT count(*) FROM click_dimension_rollups WHERE dimension = 'route'")[0][0] == 0


def test_the_openapi_document_has_routes_for_a_link_only(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    answers = {
        path: document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        for path in ("/api/v1/links/{code}/analytics", "/api/v1/analytics/overview")
    }
    assert answers == {
        "/api/v1/links/{code}/analytics": "#/components/schemas/LinkAnalytics",
        "/api/v1/analytics/overview": "#/components/schemas/Analytics",
    }
    schemas = document["components"]["schemas"]
    assert "routes" in schemas["LinkAnalytics"]["properties"] and "routes" not in schemas["Analytics"]["properties"]
    assert '"variant:{name}"' in schemas["RouteCount"]["properties"]["value"]["description"]
