"""The analytics API in process: ownership, parameters, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from common.settings import Settings
from common.stores import Stores
from tests.admin.api import Account, assert_problem
from tests.analytics.seed import CHROME, IPHONE, apply_clicks

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
    assert (body["human_clicks"], body["total_clicks"], body["click_count"]) == (3, 3, 3)
    assert body["range"]["tz"] == "Europe/Berlin"
    assert len(body["series"]) == 31
    assert body["series"][4] == {
        "start": "2026-05-05T00:00:00+02:00",
        "clicks": 3,
        "human_clicks": 3,
        "bot_clicks": 0,
        "visitors": 2,
    }
    assert body["referrers"][0] == {"value": "news.ycombinator.com", "clicks": 2, "human_clicks": 2, "bot_clicks": 0}
    assert body["countries"][0] == {"value": "FR", "clicks": 2, "human_clicks": 2, "bot_clicks": 0}
    assert {"value": "mobile", "clicks": 1, "human_clicks": 1, "bot_clicks": 0} in body["devices"]
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
        "route",
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


CURL = "curl/8.5.0"


async def test_human_and_bot_clicks_are_shown_apart_and_add_up_to_click_count(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "mixed")
    await apply_clicks(stores, settings, "mixed", [AT] * 4, agent=CURL, ip="198.51.100.7")
    await apply_clicks(stores, settings, "mixed", [AT, AT], agent=CHROME)
    link = client.get("/api/v1/links/mixed", headers=alice.headers).json()
    assert link["click_count"] == 6

    body = client.get("/api/v1/links/mixed/analytics", params=RANGE, headers=alice.headers).json()
    assert {key: body[key] for key in ("clicks", "human_clicks", "bot_clicks", "total_clicks", "click_count")} == {
        "clicks": 2,
        "human_clicks": 2,
        "bot_clicks": 4,
        "total_clicks": 6,
        "click_count": 6,
    }
    assert body["human_clicks"] + body["bot_clicks"] == link["click_count"]
    day = body["series"][4]
    assert (day["clicks"], day["human_clicks"], day["bot_clicks"]) == (2, 2, 4)
    assert [(b["value"], b["bot_clicks"]) for b in body["browsers"]] == [("Chrome", 0)]

    with_bots = client.get(
        "/api/v1/links/mixed/analytics", params=RANGE | {"include_bots": "true"}, headers=alice.headers
    ).json()
    assert (with_bots["clicks"], with_bots["total_clicks"]) == (6, 6)
    assert {"value": "curl", "clicks": 4, "human_clicks": 0, "bot_clicks": 4} in with_bots["browsers"]

    overview = client.get("/api/v1/analytics/overview", params=RANGE, headers=alice.headers).json()
    assert (overview["clicks"], overview["human_clicks"], overview["bot_clicks"]) == (2, 2, 4)
    top = client.get("/api/v1/analytics/top-links", params=RANGE, headers=alice.headers).json()
    assert [(t["code"], t["clicks"], t["human_clicks"], t["bot_clicks"], t["click_count"]) for t in top] == [
        ("mixed", 2, 2, 4, 6)
    ]


async def test_a_link_clicked_only_by_bots_still_shows_its_clicks(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "botsonly")
    await apply_clicks(stores, settings, "botsonly", [AT] * 3, agent=CURL)
    body = client.get("/api/v1/links/botsonly/analytics", params=RANGE, headers=alice.headers).json()
    assert (body["clicks"], body["bot_clicks"], body["total_clicks"], body["click_count"]) == (0, 3, 3, 3)
    top = client.get("/api/v1/analytics/top-links", params=RANGE | {"include_bots": "true"}, headers=alice.headers)
    assert [(t["code"], t["bot_clicks"]) for t in top.json()] == [("botsonly", 3)]


def test_ranges_outside_the_calendar_are_422_problems(client: TestClient, alice: Account) -> None:
    create(client, alice, "edges")
    ranges = [
        {"to": "0001-01-01T01:00:00Z"},
        {"to": "0001-01-01"},
        {"from": "0001-01-01", "to": "0001-01-03"},
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"from": "9999-12-31T23:59:59Z", "to": "9999-12-31T23:59:59.999999Z"},
        {"from": "0001-01-01T00:00:00+14:00", "to": "0001-01-02"},
        {"from": "9998-12-31", "to": "9998-12-31", "tz": "Pacific/Kiritimati", "interval": "month"},
    ]
    for params in ranges[:-1]:
        for path in ("/api/v1/links/edges/analytics", "/api/v1/links/edges/clicks.csv", "/api/v1/analytics/overview"):
            assert_problem(client.get(path, params=params, headers=alice.headers), 422, "invalid_range")
    # The last day before the bound still answers, in every interval.
    for interval in ("hour", "day", "week", "month"):
        response = client.get(
            "/api/v1/links/edges/analytics", params=ranges[-1] | {"interval": interval}, headers=alice.headers
        )
        assert response.status_code == 200, response.text


def test_range_bounds_must_fall_on_a_quarter_hour(client: TestClient, alice: Account) -> None:
    create(client, alice, "quarter")
    path = "/api/v1/links/quarter/analytics"
    for params, bound in [
        ({"from": "2026-05-01T10:07:00Z", "to": "2026-05-02T00:00:00Z"}, "from"),
        ({"from": "2026-05-01T10:00:00Z", "to": "2026-05-02T00:00:30+02:00"}, "to"),
    ]:
        response = client.get(path, params=params, headers=alice.headers)
        assert_problem(response, 422, "invalid_range")
        assert response.json()["detail"].startswith(f"{bound} must fall on a quarter hour in UTC")
    # Offsets of a quarter hour's multiple (Nepal is +05:45) keep local quarter hours valid.
    for params in [
        {"from": "2026-05-01T10:15:00Z", "to": "2026-05-02T10:45:00Z"},
        {"from": "2026-05-01T10:45:00+05:45", "to": "2026-05-02", "tz": "Asia/Kathmandu"},
        {},  # the defaults round themselves
    ]:
        for url in (path, "/api/v1/analytics/overview", "/api/v1/links/quarter/clicks.csv"):
            response = client.get(url, params=params, headers=alice.headers)
            assert response.status_code == 200, (url, params, response.text)


async def test_a_bound_with_a_time_part_is_a_datetime_even_at_midnight(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "midnight")
    await apply_clicks(stores, settings, "midnight", [AT])  # 2026-05-05 10:00 UTC
    path = "/api/v1/links/midnight/analytics"

    def read(params: dict[str, str]) -> tuple[str, str, int]:
        response = client.get(path, params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        return body["range"]["start"], body["range"]["end"], body["clicks"]

    # A date is a whole local day, the end included ...
    assert read({"from": "2026-05-04", "to": "2026-05-05"}) == ("2026-05-04T00:00:00Z", "2026-05-06T00:00:00Z", 1)
    # ... a datetime at midnight is that instant, the end excluded: not the day after it.
    for to in ("2026-05-05T00:00:00Z", "2026-05-05T00:00:00+00:00", "2026-05-05T00:00:00", "2026-05-05T00:00"):
        assert read({"from": "2026-05-04", "to": to}) == ("2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z", 0), to
    berlin = {"from": "2026-05-05T00:00:00", "to": "2026-05-06T00:00:00", "tz": "Europe/Berlin"}
    assert read(berlin) == ("2026-05-04T22:00:00Z", "2026-05-05T22:00:00Z", 1)
    assert_problem(client.get(path, params={"to": "2026-05-05T25:00:00Z"}, headers=alice.headers), 422)


async def test_bounds_are_exact_to_the_quarter_hour(
    client: TestClient, alice: Account, stores: Stores, settings: Settings
) -> None:
    create(client, alice, "exact")
    await apply_clicks(stores, settings, "exact", [AT + timedelta(minutes=14), AT + timedelta(minutes=15)])
    path = "/api/v1/links/exact/analytics"

    def clicks(start: str, end: str) -> int:
        response = client.get(path, params={"from": start, "to": end}, headers=alice.headers)
        assert response.status_code == 200, response.text
        assert (response.json()["range"]["start"], response.json()["range"]["end"]) == (start, end)
        count: int = response.json()["clicks"]
        return count

    assert clicks("2026-05-05T10:00:00Z", "2026-05-05T10:15:00Z") == 1
    assert clicks("2026-05-05T10:15:00Z", "2026-05-05T10:30:00Z") == 1
    assert clicks("2026-05-05T10:15:00Z", "2026-05-05T11:00:00Z") == 1
    assert clicks("2026-05-05T09:45:00Z", "2026-05-05T10:30:00Z") == 2
