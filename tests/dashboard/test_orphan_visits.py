"""Orphan visits in the browser: an admin sees the totals, the kinds, the most visited paths and the
latest visits (hostile paths as plain text), in light, dark and at a 375 px phone's width, with no serious
accessibility violation; with none in the range the page says so; a user who is not an admin has
no way in (no navigation entry, sent away from the address, 403 from the API)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from harness.browser import DESKTOP, PHONE, axe_scan, blocking
from tests.admin.db import sql
from tests.dashboard.conftest import Stack, browser_page, screenshot
from tests.dashboard.flows import PASSWORD, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"
EDITOR = "editor@example.com"
PAGE = "/admin/orphan-visits"
HOSTILE = "/<img src=x onerror=alert(1)>"
# A scanner walking up directories: 491 characters without a space, which must wrap, not widen the page.
LONG = "/" + "%2E%2E/" * 70


@dataclass(frozen=True)
class Visit:
    minutes_ago: int
    kind: str
    path: str
    is_bot: bool = False
    referrer_host: str = ""
    country: str = ""
    browser: str = ""
    os: str = ""
    device: str = ""


# 8 visits, 4 from bots: 2 to the bare domain, 3 to a code that is gone, 3 to other paths.
VISITS = [
    Visit(300, "base_url", "/", country="FR", browser="Chrome", os="Windows", device="desktop"),
    Visit(240, "base_url", "/", is_bot=True),
    Visit(200, "invalid_short_url", "/old-promo", referrer_host="news.example", country="DE", browser="Firefox"),
    Visit(150, "invalid_short_url", "/old-promo", country="US", browser="Mobile Safari", os="iOS", device="mobile"),
    Visit(100, "invalid_short_url", "/old-promo", is_bot=True, browser="curl"),
    Visit(60, "regular_404", "/wp-login.php", is_bot=True, country="NL"),
    Visit(30, "regular_404", HOSTILE, country="DE", browser="Chrome"),
    Visit(10, "regular_404", LONG, is_bot=True),
]


def record_visits(stack: Stack, visits: list[Visit]) -> None:
    """Rows as the worker writes them (worker/orphans.py), at times before now."""
    now = datetime.now(UTC)
    for position, visit in enumerate(visits):
        at = now - timedelta(minutes=visit.minutes_ago)
        sql(
            stack.settings,
            """INSERT INTO orphan_visits (visited_at, kind, path, shard, stream_id, position, visitor_hash,
                   referrer_host, country, browser, os, device, is_bot)
               VALUES ($1, $2, $3, 0, $4, $5, ''::bytea, $6, $7, $8, $9, $10, $11)""",
            at,
            visit.kind,
            visit.path,
            f"{int(at.timestamp() * 1000)}-0",
            position,
            visit.referrer_host,
            visit.country,
            visit.browser,
            visit.os,
            visit.device,
            visit.is_bot,
        )


def stat(page: Page, label: str) -> Locator:
    """The value of one card of totals (a dd after its dt)."""
    term = page.get_by_role("term").filter(has_text=re.compile(rf"^{re.escape(label)}$"))
    return term.locator("xpath=following-sibling::dd[1]")


def refuse_dialogs(page: Page) -> list[str]:
    """Messages of any alert() the page runs: a path rendered as markup would run its script."""
    opened: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


def test_an_admin_sees_the_orphan_visits(stack: Stack, request: pytest.FixtureRequest) -> None:
    stack.create_first_admin(ADMIN)
    record_visits(stack, VISITS)
    with browser_page(stack, request, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Berlin") as page:
        alerts = refuse_dialogs(page)
        sign_in(page, ADMIN)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Orphan visits").click()
        expect(page).to_have_url(re.compile(rf"{PAGE}$"))
        expect(page.get_by_role("heading", level=1, name="Orphan visits")).to_be_visible()
        expect(page.get_by_text("sample", exact=False).first).to_be_visible()

        expect(stat(page, "Orphan visits")).to_have_text("8")
        expect(stat(page, "Bots")).to_have_text("50% bots")
        expect(stat(page, "Base URL")).to_have_text("2 25% of all orphan visits")
        expect(stat(page, "Invalid short URL")).to_have_text("3 37.5% of all orphan visits")
        expect(stat(page, "Regular 404")).to_have_text("3 37.5% of all orphan visits")
        expect(page.get_by_text(re.compile(r"^8 orphan visits over 30 daily points\."))).to_be_attached()

        paths = page.get_by_role("table", name="Most visited paths in this range")
        promo = paths.get_by_role("row").filter(has_text="/old-promo")
        expect(promo.get_by_role("cell")).to_have_text(
            ["/old-promo", "3", "Invalid short URL", re.compile(r"\d{4}, \d\d:\d\d$")]
        )
        expect(paths.get_by_role("row").nth(1)).to_contain_text("/old-promo")

        recent = page.get_by_role("table", name="Recent orphan visits, newest first")
        expect(recent.get_by_role("row")).to_have_count(1 + len(VISITS))
        expect(recent.get_by_role("row").nth(1)).to_contain_text("%2E%2E/%2E%2E/")
        referred = recent.get_by_role("row").filter(has_text="news.example")
        for text in ("/old-promo", "Invalid short URL", "Germany", "Firefox"):
            expect(referred).to_contain_text(text)
        expect(recent.get_by_role("row").filter(has_text="curl")).to_contain_text("Bot")
        # Hostile paths are text: shown as sent (not decoded, not run), and never links.
        expect(recent.get_by_text(HOSTILE, exact=True)).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("old-promo|wp-login"))).to_have_count(0)
        assert not alerts, alerts
        assert not blocking(axe_scan(page))
        screenshot(page, "orphan-visits-desktop")

        # The same page dark, then on a phone: one sign-in, three looks.
        page.emulate_media(color_scheme="dark")
        assert not blocking(axe_scan(page))
        screenshot(page, "orphan-visits-desktop-dark")
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
        expect(recent.get_by_text(HOSTILE, exact=True)).to_be_attached()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{PAGE} scrolls sideways by {overflow} px at {PHONE['width']} px"
        assert not blocking(axe_scan(page))
        screenshot(page, "orphan-visits-phone")


def test_none_is_an_empty_state_and_users_have_no_way_in(stack: Stack, request: pytest.FixtureRequest) -> None:
    stack.create_first_admin(ADMIN)
    with stack.api() as api:
        assert api.post("/auth/register", json={"email": EDITOR, "password": PASSWORD}).status_code == 202
        login = api.post("/auth/login", json={"email": EDITOR, "password": PASSWORD})
        token = login.json()["access_token"]
        answer = api.get("/analytics/orphan-visits", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 403, answer.text
    # Too long ago for the default range (the last 30 days).
    record_visits(stack, [Visit(60 * 24 * 45, "base_url", "/")])

    with browser_page(stack, request) as page:
        sign_in(page, ADMIN)
        page.goto(PAGE)
        expect(page.get_by_role("heading", name="No orphan visits in this range")).to_be_visible()
        assert not blocking(axe_scan(page))
        screenshot(page, "orphan-visits-empty-desktop")

    with browser_page(stack, request) as page:
        sign_in(page, EDITOR)
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Analytics")).to_be_visible()
        expect(nav.get_by_role("link", name="Orphan visits")).to_have_count(0)
        page.goto(PAGE)
        expect(page).to_have_url(re.compile(r"/links$"))
