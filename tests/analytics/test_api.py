"""The analytics API in process: ownership, parameters, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from starlette.testclient import TestClient

from common.settings import Settings
from common.stores import Stores
from tests.admin.api import Account, assert_problem
from tests.analytics.seed import IPHONE, apply_clicks

RANGE = {"from": "2026-05-01", "to": "2026-05-31", "tz": "Europe/Berlin"}
AT = datetime(2026, 5, 5, 10, tzinfo=UTC)


def create(client: TestClient, account: Account, code: str) -> None:
    response = client.post(
        "/api/v1/links", json={"target_url": "https://example.com/", "code": code}, headers=account.headers
    )
    assert response.status_code == 201, response.text


async def test_owner_reads_link_analytics(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "al1")
    await apply_clicks(stores, settings, "al1", [AT, AT], referrer="https://news.ycombinator.com/item", country="FR")
    await apply_clicks(stores, settings, "al1", [AT], agent=IPHONE, ip="198.51.100.9")
    response = client.get("/api/v1/links/al1/analytics", params=RANGE, headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["clicks"], body["visitors"], body["bot_clicks"]) == ("al1", 3, 2, 0)
    assert body["range"]["tz"] == "Europe/Berlin"
    assert len(body["series"]) == 31
    assert body["series"][4] == {"start": "2026-05-05T00:00:00+02:00", "clicks": 3, "visitors": 2}
    assert body["referrers"][0] == {"value": "news.ycombinator.com", "clicks": 2}
    assert body["countries"][0] == {"value": "FR", "clicks": 2}
    assert {"value": "mobile", "clicks": 1} in body["devices"]
    hourly = client.get(
        "/api/v1/links/al1/analytics", params=RANGE | {"interval": "hour", "to": "2026-05-01"}, headers=alice.headers
    )
    assert len(hourly.json()["series"]) == 24

    recent = client.get("/api/v1/links/al1/clicks", params={"limit": 2}, headers=alice.headers)
    assert recent.status_code == 200
    assert len(recent.json()) == 2
    assert set(recent.json()[0]) == {
        "clicked_at",
        "country",
        "city",
        "browser",
        "os",
        "device",
        "referrer_host",
        "is_bot",
    }

    exported = client.get("/api/v1/links/al1/clicks.csv", params=RANGE, headers=alice.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 3
    assert rows[0]["ip"] == "" and rows[0]["ip_prefix"] == "198.51.100.0/24"

    overview = client.get("/api/v1/analytics/overview", params=RANGE, headers=alice.headers).json()
    assert (overview["clicks"], overview["visitors"]) == (3, 2)
    top = client.get("/api/v1/analytics/top-links", params=RANGE, headers=alice.headers).json()
    assert [(link["code"], link["clicks"]) for link in top] == [("al1", 3)]


async def test_a_user_cannot_read_another_users_analytics(
    client: TestClient, alice: Account, bob: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "secret")
    await apply_clicks(stores, settings, "secret", [AT])
    for path in ("analytics", "clicks", "clicks.csv"):
        assert_problem(client.get(f"/api/v1/links/secret/{path}", params=RANGE, headers=bob.headers), 404)
    assert client.get("/api/v1/analytics/overview", params=RANGE, headers=bob.headers).json()["clicks"] == 0
    assert client.get("/api/v1/analytics/top-links", params=RANGE, headers=bob.headers).json() == []
    assert_problem(client.get("/api/v1/links/secret/analytics"), 401)


async def test_csv_cells_cannot_become_formulas(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "csvx")
    await apply_clicks(stores, settings, "csvx", [AT], agent='=HYPERLINK("http://evil")')
    exported = client.get("/api/v1/links/csvx/clicks.csv", params=RANGE, headers=alice.headers)
    row = next(csv.DictReader(io.StringIO(exported.text)))
    assert row["user_agent"] == '\'=HYPERLINK("http://evil")'


def test_bad_parameters_are_problems(client: TestClient, alice: Account) -> None:
    create(client, alice, "params")
    assert_problem(
        client.get("/api/v1/links/params/analytics", params={"tz": "Nowhere/City"}, headers=alice.headers),
        422,
        "invalid_range",
    )
    assert_problem(
        client.get(
            "/api/v1/links/params/analytics", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=alice.headers
        ),
        422,
    )
    assert_problem(
        client.get("/api/v1/links/params/analytics", params={"interval": "year"}, headers=alice.headers), 422
    )
