"""Password-protected links in the browser: a password set in the New link form (its length checked
before sending), the link shown as protected in the list and on its page, never the password
itself, and the password removed from the edit form, after which the edge redirects again."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page, expect

from harness.browser import axe_scan, blocking
from tests.admin.db import sql
from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import PASSWORD, edge_status, set_up_first_admin

pytestmark = pytest.mark.e2e

LINK_PASSWORD = "open sesame"
PROTECTED = "Password protected"  # the badge's text, its screen-reader part included


def has_password(stack: Stack, code: str) -> bool:
    """What the API says of the link, as its admin."""
    with stack.api() as api:
        signed_in = api.post("/auth/login", json={"email": "admin@example.com", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        link = api.get(f"/links/{code}", headers=headers).json()
    assert "password" not in link and "password_hash" not in link
    return bool(link["has_password"])


def test_a_password_set_shown_and_removed_in_the_dashboard(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    page.goto("/links/new")
    page.get_by_label("Target URL").fill("https://example.com/members")
    page.get_by_label("Custom code (optional)").fill("vault")
    password = page.get_by_label("Password (optional)")
    expect(password).to_have_attribute("type", "password")
    expect(password).to_have_attribute("autocomplete", "new-password")
    expect(password).to_have_accessible_description(re.compile(r"Visitors must enter it before they are redirected"))

    password.fill("abc")
    page.get_by_role("button", name="Create link").click()
    expect(password).to_have_accessible_description(re.compile(r"Use at least 4 characters"))
    expect(password).to_have_attribute("aria-invalid", "true")
    assert not blocking(axe_scan(page))
    screenshot(page, "link-password-new")

    password.fill(LINK_PASSWORD)
    page.get_by_role("button", name="Create link").click()
    expect(page).to_have_url(re.compile(r"/links/vault$"))
    expect(page.get_by_text("Link created.")).to_be_visible()
    # In the status line and above the edit form's password fields.
    expect(page.get_by_text(PROTECTED)).to_have_count(2)
    expect(page.get_by_label("New password (optional)")).to_have_value("")
    assert not blocking(axe_scan(page))
    screenshot(page, "link-password")

    assert has_password(stack, "vault")
    stored = sql(stack.settings, "SELECT password_hash FROM links WHERE code = 'vault'")[0]["password_hash"]
    assert PasswordHasher().verify(stored, LINK_PASSWORD)
    assert LINK_PASSWORD not in page.content()

    page.goto("/links")
    row = page.get_by_role("table", name="Your links").locator("tbody tr").filter(has_text="/vault")
    expect(row).to_contain_text(PROTECTED)

    page.goto("/links/vault")
    page.get_by_label("Remove the password").check()
    expect(page.get_by_label("New password (optional)")).to_have_count(0)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(re.compile(r"^Saved at"))).to_be_visible()
    expect(page.get_by_text(PROTECTED)).to_have_count(0)
    expect(page.get_by_label("Password (optional)")).to_have_value("")
    assert not has_password(stack, "vault")
    edge_status(stack, "vault", 302)

    page.goto("/links")
    row = page.get_by_role("table", name="Your links").locator("tbody tr").filter(has_text="/vault")
    expect(row).not_to_contain_text(PROTECTED)
