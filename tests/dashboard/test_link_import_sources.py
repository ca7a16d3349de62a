"""Importing another shortener's export in the browser: a Bitly CSV checked by a dry run that writes
nothing, then imported; the links redirect on the real edge, and the rows it could not take say why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from harness.browser import DESKTOP, PHONE, axe_scan, blocking
from tests.admin.importers.fixtures import fixture
from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import edge_status, set_up_first_admin

pytestmark = pytest.mark.e2e

DRY_RUN = "4 would be created, 1 already present, 1 conflict, 7 invalid"
DONE = "4 created, 1 already present, 1 conflict, 7 invalid"


def test_a_bitly_export_is_checked_by_a_dry_run_then_imported(page: Page, stack: Stack, tmp_path: Path) -> None:
    set_up_first_admin(page)
    export = tmp_path / "bitly.csv"
    export.write_bytes(fixture("bitly.csv"))
    page.goto("/links/import")
    page.get_by_label("Import from").select_option(label="Bitly (CSV export)")
    expect(page.get_by_role("heading", name="Importing from Bitly (CSV export)")).to_be_visible()
    page.get_by_label("Choose a file").set_input_files(str(export))

    expect(page.get_by_text("Dry run of bitly.csv")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=DRY_RUN)).to_be_visible()
    dry_run = page.get_by_role("table", name="Dry run per row")
    # The rows it could not take come first, each with its reason.
    expect(dry_run.locator("tbody tr")).to_have_count(8)
    expect(dry_run).to_contain_text("javascript:alert(document.cookie)")
    expect(dry_run).to_contain_text("only http:// and https:// URLs can be shortened")
    expect(dry_run).to_contain_text("is not one Hop can hold")
    expect(dry_run).to_contain_text("the Title cell has bytes that are not UTF-8")
    serious = blocking(axe_scan(page))
    assert not serious, serious
    screenshot(page, "link-import-bitly-dry-run-desktop")
    # On a phone the report's table scrolls inside its frame; the page itself never sideways.
    page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the dry run scrolls sideways by {overflow} px at {PHONE['width']} px"
    screenshot(page, "link-import-bitly-dry-run-phone")
    page.set_viewport_size({"width": DESKTOP["width"], "height": DESKTOP["height"]})
    page.get_by_label("Show").select_option("new")
    expect(dry_run.locator("tbody tr")).to_have_count(4)
    expect(dry_run).to_contain_text("1,234")
    page.goto("/links")
    expect(page.get_by_role("heading", name="No links yet")).to_be_visible()  # the dry run wrote nothing

    page.goto("/links/import")
    page.get_by_label("Import from").select_option(label="Bitly (CSV export)")
    page.get_by_label("Choose a file").set_input_files(str(export))
    page.get_by_role("button", name=re.compile(r"^Import 4 links$")).click()
    expect(page.get_by_role("status").filter(has_text=DONE)).to_be_visible()
    result = page.get_by_role("table", name="Import result per row")
    page.get_by_label("Show").select_option("new")
    expect(result.get_by_role("link", name="/3xYzAbC")).to_be_visible()
    screenshot(page, "link-import-bitly-desktop")

    page.goto("/links")
    expect(page.get_by_role("table", name="Your links").locator("tbody tr")).to_have_count(4)
    page.goto("/links/3xYzAbC")
    expect(page.get_by_text("Clicks before import")).to_be_visible()
    expect(page.get_by_text("1,234", exact=True)).to_be_visible()  # Bitly's total, apart from Hop's own count
    edge_status(stack, "3xYzAbC", 302)
    edge_status(stack, "summer-offer", 302)
    edge_status(stack, "3evil01", 404)
