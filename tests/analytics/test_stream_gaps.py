"""Click stream gaps in the analytics API: both endpoints list the recorded gaps that may hold clicks
of the range, with their times, and none of the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from common.stores import Stores
from tests.admin.api import Account
from tests.analytics.seed import ms

# May 2026 in Berlin: [2026-04-30T22:00Z, 2026-05-31T22:00Z).
RANGE = {"from": "2026-05-01", "to": "2026-05-31", "tz": "Europe/Berlin"}
RANGE_START = datetime(2026, 4, 30, 22, tzinfo=UTC)
RANGE_END = datetime(2026, 5, 31, 22, tzinfo=UTC)
AT = datetime(2026, 5, 5, 14, 2, 7, 123_000, tzinfo=UTC)
ENDPOINTS = ("/api/v1/links/gapped/analytics", "/api/v1/analytics/overview")


def stream_id(at: datetime, seq: int = 0) -> str:
    return f"{ms(at)}-{seq}"


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def record_gap(stores: Stores, *, after_id: str, resumed_at: str, lost_entries: int | None) -> None:
    """A row as the worker writes it (worker/gaps.py record_gap)."""
    await stores.pool.execute(
        "INSERT INTO click_stream_gaps (shard, after_id, resumed_at, lost_entries) VALUES (0, $1, $2, $3)",
        after_id,
        resumed_at,
        lost_entries,
    )


def gaps_of(client: TestClient, account: Account, path: str) -> list[dict[str, Any]]:
    response = client.get(path, params=RANGE, headers=account.headers)
    assert response.status_code == 200, response.text
    gaps: list[dict[str, Any]] = response.json()["gaps"]
    assert all(isinstance(gap.pop("detected_at"), str) for gap in gaps)
    return gaps


@pytest.fixture
def link(client: TestClient, alice: Account) -> str:
    response = client.post(
        "/api/v1/links", json={"target_url": "https://example.com/", "code": "gapped"}, headers=alice.headers
    )
    assert response.status_code == 201, response.text
    return "gapped"


@pytest.mark.usefixtures("link")
async def test_both_endpoints_list_the_gaps_in_the_range_oldest_first(
    client: TestClient, alice: Account, stores: Stores
) -> None:
    resumed = AT + timedelta(minutes=3)
    unknown_resumed = datetime(2026, 5, 20, 8, 30, tzinfo=UTC)
    fresh_resumed = datetime(2026, 5, 1, 9, tzinfo=UTC)
    await record_gap(stores, after_id=stream_id(AT, 4), resumed_at=stream_id(resumed), lost_entries=12)
    await record_gap(
        stores,
        after_id=stream_id(datetime(2026, 5, 19, 23, tzinfo=UTC)),
        resumed_at=stream_id(unknown_resumed, 1),
        lost_entries=None,
    )
    # Nothing applied yet on the shard: the lost span's start is unknown.
    await record_gap(stores, after_id="0-0", resumed_at=stream_id(fresh_resumed), lost_entries=3)
    # Wholly before the range, and wholly after it.
    before = RANGE_START - timedelta(days=2)
    await record_gap(
        stores, after_id=stream_id(before), resumed_at=stream_id(before + timedelta(hours=1)), lost_entries=1
    )
    after = RANGE_END + timedelta(hours=1)
    await record_gap(
        stores, after_id=stream_id(after), resumed_at=stream_id(after + timedelta(hours=1)), lost_entries=2
    )

    expected = [
        {"start": None, "end": iso(fresh_resumed), "lost_entries": 3},
        {"start": "2026-05-05T14:02:07.123000Z", "end": iso(resumed), "lost_entries": 12},
        {"start": "2026-05-19T23:00:00Z", "end": iso(unknown_resumed), "lost_entries": None},
    ]
    for path in ENDPOINTS:
        assert gaps_of(client, alice, path) == expected, path


@pytest.mark.usefixtures("link")
async def test_a_gap_straddling_a_bound_is_listed_and_one_just_outside_is_not(
    client: TestClient, alice: Account, stores: Stores
) -> None:
    # Ends on the range's first instant: its last lost clicks may be in the range.
    await record_gap(
        stores, after_id=stream_id(RANGE_START - timedelta(hours=1)), resumed_at=stream_id(RANGE_START), lost_entries=5
    )
    # Starts 2 s after the range's end: its first lost clicks were made up to a flush interval
    # (at most 5 s) before they entered the stream, so possibly in the range.
    await record_gap(
        stores,
        after_id=stream_id(RANGE_END + timedelta(seconds=2)),
        resumed_at=stream_id(RANGE_END + timedelta(minutes=1)),
        lost_entries=6,
    )
    # Ends a millisecond before the range, or starts well after it: no click of the range.
    await record_gap(
        stores,
        after_id=stream_id(RANGE_START - timedelta(hours=1)),
        resumed_at=stream_id(RANGE_START - timedelta(milliseconds=1)),
        lost_entries=7,
    )
    await record_gap(
        stores,
        after_id=stream_id(RANGE_END + timedelta(seconds=10)),
        resumed_at=stream_id(RANGE_END + timedelta(minutes=1)),
        lost_entries=8,
    )
    # Unknown start, resumed before the range: its lost clicks all came before the range too.
    await record_gap(
        stores, after_id="0-0", resumed_at=stream_id(RANGE_START - timedelta(minutes=1)), lost_entries=None
    )
    for path in ENDPOINTS:
        assert [gap["lost_entries"] for gap in gaps_of(client, alice, path)] == [5, 6], path


@pytest.mark.usefixtures("link")
def test_no_gap_is_an_empty_list(client: TestClient, alice: Account) -> None:
    for path in ENDPOINTS:
        assert gaps_of(client, alice, path) == [], path


def test_gaps_are_described_in_the_openapi_schema(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["Analytics"]["properties"]["gaps"]["items"] == {"$ref": "#/components/schemas/StreamGap"}
    described = schemas["StreamGap"]["properties"]
    assert "clicks may be missing between start and end" in described["start"]["description"].lower()
    assert "clicks may be missing between start and end" in described["end"]["description"].lower()
    assert set(schemas["StreamGap"]["required"]) == {"start", "end", "lost_entries", "detected_at"}
