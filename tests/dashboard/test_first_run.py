"""A new instance in the browser: the first admin is created on the setup page, which then is gone;
signing in and out works with the session cookie, and a reload keeps the session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import PASSWORD, set_up_first_admin

pytestmark = pytest.mark.e2e


def test_first_run_creates_the_admin_and_the_setup_page_is_gone(page: Page, stack: Stack) -> None:
    page.goto("/links")
    expect(page).to_have_url(re.compile(r"/setup$"))
    screenshot(page, "setup-desktop")
    set_up_first_admin(page)
    expect(page.get_by_role("heading", name="No links yet")).to_be_visible()
    screenshot(page, "links-empty-desktop")

    page.goto("/setup")
    expect(page).not_to_have_url(re.compile(r"/setup$"))
    with stack.api() as api:
        assert api.get("/instance").json()["setup_required"] is False


def test_a_reload_keeps_the_session_and_sign_out_ends_it(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    page.reload()
    expect(page.get_by_role("heading", name="No links yet")).to_be_visible()
    # The refresh token is in an HttpOnly cookie: no script on the page can read it.
    assert "hop_refresh" not in page.evaluate("document.cookie")
    cookie = next(c for c in page.context.cookies() if c["name"] == "hop_refresh")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/api/v1/auth/session"

    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.goto("/links")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Flinks$"))


def test_sign_in_says_what_went_wrong_and_then_goes_where_asked(page: Page, stack: Stack) -> None:
    stack.create_first_admin("owner@example.com")
    page.goto("/analytics")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fanalytics$"))
    page.get_by_label("E-mail address").fill("owner@example.com")
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong")
    screenshot(page, "sign-in-error-desktop")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/analytics"))
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()


def tab_to(page: Page, target: Locator, presses: int = 20) -> None:
    """Press Tab until ``target`` has the focus (failing after ``presses``): proves it is reachable by keyboard."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with {presses} presses of Tab")


def test_the_keyboard_alone_signs_in_and_reaches_a_new_link(page: Page, stack: Stack) -> None:
    stack.create_first_admin("owner@example.com")
    page.goto("/sign-in")
    expect(page.get_by_role("heading", name="Sign in to Hop")).to_be_visible()
    tab_to(page, page.get_by_label("E-mail address"))
    page.keyboard.type("owner@example.com")
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/links$"))

    tab_to(page, page.get_by_role("link", name="New link").first)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/links/new$"))
    expect(page.get_by_label("Target URL")).to_be_visible()
