"""Click stream gaps in the browser: a gap recorded in the range is a warning on the overview and on
a link's analytics page, in the viewer's time zone, in light and dark, with no accessibility
violation; a gap outside the range is not mentioned."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.browser import axe_scan, blocking
from tests.admin.db import sql
from tests.dashboard.conftest import Stack, browser_page, screenshot
from tests.dashboard.flows import BROWSER_UA, edge_status, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"
BERLIN = ZoneInfo("Europe/Berlin")


def stream_id(at: datetime) -> str:
    return f"{int(at.timestamp() * 1000)}-0"


def record_gap(stack: Stack, start: datetime, end: datetime, lost_entries: int | None) -> None:
    """A row as the worker writes it (worker/gaps.py record_gap)."""
    sql(
        stack.settings,
        "INSERT INTO click_stream_gaps (shard, after_id, resumed_at, lost_entries) VALUES (0, $1, $2, $3)",
        stream_id(start),
        stream_id(end),
        lost_entries,
    )


def a_clicked_link(stack: Stack) -> None:
    """The first admin, with a link clicked once through the edge (the page has numbers around the warning)."""
    headers = {"Authorization": f"Bearer {stack.create_first_admin(ADMIN)}"}
    with stack.api() as api:
        body = {"target_url": "https://example.com/welcome", "code": "welcome", "title": "Welcome"}
        assert api.post("/links", json=body, headers=headers).status_code == 201
    edge_status(stack, "welcome", 302)
    with httpx.Client(follow_redirects=False) as http:
        http.get(f"{stack.edge.url}/welcome", headers={"User-Agent": BROWSER_UA, "Referer": "https://news.example/"})


def yesterday_in_berlin(hour: int, minute: int) -> datetime:
    day = datetime.now(BERLIN).date() - timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def test_a_gap_in_the_range_is_a_warning_on_both_analytics_pages(stack: Stack, request: pytest.FixtureRequest) -> None:
    a_clicked_link(stack)
    start = yesterday_in_berlin(14, 2)
    record_gap(stack, start, start + timedelta(minutes=3), 12)
    # Before the default range (the last 30 days): not shown.
    old = start - timedelta(days=60)
    record_gap(stack, old, old + timedelta(minutes=3), None)
    # Berlin's 14:02 is 12:02 or 13:02 in UTC: the times read in the viewer's zone.
    warning = re.compile(
        rf"^Clicks may be missing between {start.day} \w+ {start.year}, 14:02 and 14:05: "
        r"12 batches of clicks left Redis before they were counted\.$"
    )
    with browser_page(stack, request, locale="en-GB", timezone_id="Europe/Berlin") as page:
        sign_in(page, ADMIN)
        page.goto("/analytics")
        expect(page.get_by_role("alert")).to_have_text(warning)
        wait_for_the_click(page)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert not blocking(axe_scan(page))
            screenshot(page, f"stream-gap-{scheme}")

        page.goto("/links/welcome/analytics")
        expect(page.get_by_role("alert")).to_have_text(warning)


def wait_for_the_click(page: Page) -> None:
    """Until the click has come through the worker: the warning stands above numbers, not an empty range."""
    expect(page.get_by_role("heading", name="Top links")).to_be_visible(timeout=30_000)
