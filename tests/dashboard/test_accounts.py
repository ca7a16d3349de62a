"""Accounts in the browser: an API key shown once, used, and revoked; a forgotten password reset
through the mailed link; an admin promoting and disabling a user; signing out everywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import PASSWORD, set_up_first_admin, sign_in
from tests.mail import mail_text

pytestmark = pytest.mark.e2e

RESET_LINK = re.compile(r"/reset-password#token=[A-Za-z0-9_-]+")


def test_an_api_key_is_shown_once_works_and_stops_when_revoked(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    page.goto("/keys")
    page.get_by_label("Name").fill("Deploy bot")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("The new API key").inner_text().strip()
    screenshot(page, "keys-new-secret-desktop")
    with stack.api() as api:
        assert api.get("/links", headers={"X-API-Key": secret}).status_code == 200

    page.get_by_role("button", name="I have stored the key").click()
    expect(page.get_by_label("The new API key")).to_have_count(0)
    expect(page.get_by_role("cell", name="Deploy bot", exact=True)).to_be_visible()
    assert secret not in page.content()

    page.get_by_role("button", name="Revoke Deploy bot").click()
    page.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_role("heading", name="No API keys yet")).to_be_visible()
    with stack.api() as api:
        assert api.get("/links", headers={"X-API-Key": secret}).status_code == 401


def test_a_forgotten_password_is_reset_through_the_mailed_link(page: Page, stack: Stack) -> None:
    stack.create_first_admin("owner@example.com")
    page.goto("/sign-in")
    page.get_by_role("link", name=re.compile("Forgot", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("E-mail address").fill("owner@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    (_, mail), *_ = stack.inbox.wait_for_mail_to("owner@example.com")
    link = RESET_LINK.search(mail_text(mail))
    assert link is not None, mail
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    # Read, then taken out of the address bar (and so out of the history).
    expect(page).not_to_have_url(re.compile("token"))
    new_password = "a brand new passphrase for hop"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Confirm new password").fill(new_password)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()

    sign_in(page, "owner@example.com", new_password)


def test_an_admin_promotes_and_disables_a_user(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    with stack.api() as api:
        body = {"email": "editor@example.com", "password": PASSWORD}
        assert api.post("/auth/register", json=body).status_code == 202
    page.goto("/admin/users")
    row = page.get_by_role("row").filter(has_text="editor@example.com")
    expect(row).to_contain_text("User")

    page.get_by_role("button", name="Make admin editor@example.com").click()
    page.get_by_role("dialog").get_by_role("button", name="Make admin").click()
    expect(row).to_contain_text("Admin")

    page.get_by_role("button", name="Disable editor@example.com").click()
    page.get_by_role("dialog").get_by_role("button", name="Disable account").click()
    expect(row).to_contain_text("Disabled")
    screenshot(page, "users-after-changes-desktop")
    with stack.api() as api:
        assert api.post("/auth/login", json={"email": "editor@example.com", "password": PASSWORD}).status_code == 403

    page.goto("/admin/audit")
    expect(page.get_by_text("user.role_change").first).to_be_visible()


def test_sign_out_everywhere_ends_every_browser_session(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    other = page.context.browser.new_context(base_url=stack.admin.url)  # type: ignore[union-attr]
    laptop = other.new_page()
    sign_in(laptop, "admin@example.com")

    page.goto("/account")
    page.get_by_role("button", name="Sign out everywhere").click()
    page.get_by_role("dialog").get_by_role("button", name="Sign out everywhere").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))

    laptop.reload()
    expect(laptop).to_have_url(re.compile(r"/sign-in"))
    other.close()
