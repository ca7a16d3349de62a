"""Steps that several dashboard tests take, written as a person takes them."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.dashboard.conftest import Stack
from tests.helpers import wait_until

PASSWORD = "correct horse battery staple"


def set_up_first_admin(page: Page, email: str = "admin@example.com", password: str = PASSWORD) -> None:
    """Open the dashboard on a new instance, which leads to setup, and create the first admin."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Create admin account").click()
    expect(page).to_have_url(re.compile(r"/links$"))


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/links$"))


def create_link(page: Page, target: str, code: str, title: str | None = None) -> None:
    """Through the New link form; ends on the new link's page."""
    page.goto("/links/new")
    page.get_by_label("Target URL").fill(target)
    page.get_by_label("Custom code (optional)").fill(code)
    if title is not None:
        page.get_by_label("Title (optional)").fill(title)
    page.get_by_role("button", name="Create link").click()
    expect(page).to_have_url(re.compile(rf"/links/{code}$"))
    expect(page.get_by_text("Link created.")).to_be_visible()


def edge_status(stack: Stack, code: str, wanted: int) -> None:
    """Until the edge answers ``wanted`` for ``code`` (link changes reach it through the outbox).

    With ``nostat``, so that asking is not a click.
    """
    with httpx.Client(follow_redirects=False, timeout=2) as http:
        wait_until(
            lambda: http.get(f"{stack.edge.url}/{code}?nostat").status_code,
            lambda status: status == wanted,
            timeout=5,
            what=f"/{code} to answer {wanted}",
        )


# A person's browser, so that the click counts as human.
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
