"""Links in the browser: made, edited, disabled and deleted in the dashboard, followed on the real
edge, and the click seen arriving on the analytics page through the real worker; CSV import
reports the row it refused."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import BROWSER_UA, create_link, edge_status, set_up_first_admin

pytestmark = pytest.mark.e2e

TARGET = "https://example.com/launch?utm_source=hop"


def test_a_link_from_creation_to_deletion(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    create_link(page, TARGET, "launch", title="Spring launch")
    screenshot(page, "link-detail-desktop")
    edge_status(stack, "launch", 302)

    page.get_by_label("Title (optional)").fill("Spring launch 2027")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(re.compile(r"^Saved at"))).to_be_visible()

    page.get_by_role("button", name="Disable", exact=True).click()
    expect(page.get_by_role("button", name="Enable", exact=True)).to_be_visible()
    edge_status(stack, "launch", 404)
    page.get_by_role("button", name="Enable", exact=True).click()
    edge_status(stack, "launch", 302)

    page.goto("/links")
    table = page.get_by_role("table", name="Your links")
    expect(table.get_by_text("Spring launch 2027")).to_be_visible()
    screenshot(page, "links-desktop")

    page.goto("/links/launch")
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete link").click()
    expect(page).to_have_url(re.compile(r"/links$"))
    expect(page.get_by_role("heading", name="No links yet")).to_be_visible()
    edge_status(stack, "launch", 404)


def test_a_click_on_the_edge_arrives_in_the_analytics_page(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    create_link(page, TARGET, "promo")
    edge_status(stack, "promo", 302)
    page.goto("/links/promo/analytics")
    expect(page.get_by_role("heading", name="No clicks in this range")).to_be_visible()

    with httpx.Client(follow_redirects=False) as http:
        assert http.get(f"{stack.edge.url}/promo", headers={"User-Agent": BROWSER_UA}).status_code == 302
    # The page polls: the click arrives without a reload, through the stream and the worker.
    recent = page.get_by_role("table", name=re.compile(r"latest .* clicks"))
    expect(recent.locator("tbody tr")).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("1 click all time")).to_be_visible()
    screenshot(page, "link-analytics-desktop")


def test_csv_import_creates_the_good_rows_and_names_the_bad_one(page: Page, stack: Stack, tmp_path: Path) -> None:
    set_up_first_admin(page)
    csv = tmp_path / "links.csv"
    csv.write_text(
        "target_url,code,title\n"
        "https://example.com/a,alpha,First\n"
        "javascript:alert(1),bravo,Refused\n"
        "https://example.com/c,charlie,Third\n"
    )
    page.goto("/links/import")
    page.get_by_label("Choose a CSV file").set_input_files(str(csv))
    expect(page.get_by_text("Preview of links.csv")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Import 3 links$")).click()
    expect(page.get_by_text("2 created, 1 failed")).to_be_visible()
    result = page.get_by_role("table", name="Import result per row")
    expect(result.locator("tbody tr")).to_have_count(1)  # the result shows the failures first
    expect(result).to_contain_text("javascript:alert(1)")
    expect(result).to_contain_text("only http:// and https:// URLs can be shortened")
    screenshot(page, "link-import-desktop")

    page.goto("/links")
    table = page.get_by_role("table", name="Your links")
    expect(table.locator("tbody tr")).to_have_count(2)
    edge_status(stack, "alpha", 302)
    edge_status(stack, "bravo", 404)
