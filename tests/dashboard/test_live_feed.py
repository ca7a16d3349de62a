"""The live click feed in the browser: on a link's analytics page and on the overview, a visitor's
click at the real edge appears while the viewer watches, without a reload, in light and dark, with
no accessibility violation."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.browser import axe_scan, blocking
from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import BROWSER_UA, edge_status, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"


def visit(stack: Stack, code: str) -> None:
    with httpx.Client(follow_redirects=False) as http:
        answer = http.get(
            f"{stack.edge.url}/{code}", headers={"User-Agent": BROWSER_UA, "Referer": "https://news.example/"}
        )
    assert answer.is_redirect


def start_watching(page: Page) -> None:
    page.get_by_role("button", name="Watch live").click()
    expect(page.get_by_text("Live", exact=True)).to_be_visible()
    expect(page.get_by_text("Waiting for the next click…")).to_be_visible()


def test_clicks_appear_live_on_the_link_page_and_the_overview(stack: Stack, page: Page) -> None:
    headers = {"Authorization": f"Bearer {stack.create_first_admin(ADMIN)}"}
    with stack.api() as api:
        for code in ("launch", "promo"):
            body = {"target_url": f"https://example.com/{code}", "code": code}
            assert api.post("/links", json=body, headers=headers).status_code == 201
    edge_status(stack, "promo", 302)
    sign_in(page, ADMIN)

    page.goto("/links/launch/analytics")
    start_watching(page)
    visit(stack, "promo")  # another link: not on this page
    visit(stack, "launch")
    live = page.get_by_role("region", name="Live clicks (scrollable)")
    expect(live.get_by_role("row")).to_have_count(2, timeout=15_000)  # the heading and the one click
    expect(live.get_by_role("row").nth(1)).to_contain_text("news.example")
    expect(page.get_by_text("1 click since you started watching")).to_be_visible()

    page.goto("/analytics")
    start_watching(page)
    visit(stack, "promo")
    live = page.get_by_role("region", name="Live clicks (scrollable)")
    expect(live.get_by_role("row").nth(1)).to_contain_text("/promo", timeout=15_000)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert not blocking(axe_scan(page))
        screenshot(page, f"live-feed-{scheme}")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("Paused", exact=True)).to_be_visible()
