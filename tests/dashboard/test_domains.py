"""Short domains in the browser: an admin adds a domain on the Domains page and sets its redirects;
a link created on it through the New link form gets its short URL on that domain, its page and
analytics carry ``?domain=``, and the links list names its domain; someone who is not an admin sees
the domains read-only. In light and dark, with no serious accessibility violation."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.browser import axe_scan, blocking
from tests.admin.db import sql
from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import PASSWORD, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"
EDITOR = "editor@example.com"
DOMAIN = "go.example"


def test_an_admin_adds_a_domain_and_a_link_lives_on_it(stack: Stack, page: Page) -> None:
    stack.create_first_admin(ADMIN)
    sign_in(page, ADMIN)
    page.get_by_role("link", name="Domains").click()
    expect(page).to_have_url(re.compile(r"/domains$"))
    domains = page.get_by_role("list", name="Short domains")
    expect(domains.get_by_role("listitem")).to_have_count(1)  # the default one only

    page.get_by_label("Domain", exact=True).fill("evil.example/path")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text("Enter only the domain name")).to_be_visible()
    page.get_by_label("Domain", exact=True).fill(" GO.Example. ")
    page.get_by_label("Not found redirect (optional)").fill("https://example.com/not-found")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text(f"Added {DOMAIN}.")).to_be_visible()
    card = domains.get_by_role("listitem").filter(has_text=DOMAIN)
    expect(card).to_contain_text("https://example.com/not-found")
    expect(card).to_contain_text("0 links")

    card.get_by_role("button", name="Edit redirects").click()
    card.get_by_label("Base redirect (optional)").fill("https://example.com/")
    card.get_by_role("button", name="Save redirects").click()
    expect(card.get_by_role("button", name="Edit redirects")).to_be_visible()
    expect(card).to_contain_text("https://example.com/")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert not blocking(axe_scan(page))
        screenshot(page, f"domains-{scheme}")
    page.emulate_media(color_scheme="light")

    # The New link form offers the domains, the default one preselected.
    page.goto("/links/new")
    picker = page.get_by_label("Domain", exact=True)
    expect(picker).to_have_value("")
    picker.select_option(DOMAIN)
    expect(page.get_by_text(f"{DOMAIN}/", exact=True)).to_be_visible()  # before the code
    page.get_by_label("Target URL").fill("https://example.com/spring")
    page.get_by_label("Custom code (optional)").fill("spring")
    page.get_by_role("button", name="Create link").click()
    expect(page).to_have_url(re.compile(rf"/links/spring\?domain={re.escape(DOMAIN)}$"))
    expect(page.get_by_text("Link created.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{DOMAIN}/spring")
    assert not blocking(axe_scan(page))

    # Its analytics page asks for the same link; the list names the domain beside the code.
    page.get_by_role("main").get_by_role("link", name="Analytics").click()
    expect(page).to_have_url(re.compile(rf"/links/spring/analytics\?.*domain={re.escape(DOMAIN)}"))
    expect(page.get_by_role("link", name=f"http://{DOMAIN}/spring", exact=True)).to_be_visible()
    page.goto("/links")
    row = page.get_by_role("row").filter(has_text="/spring")
    expect(row).to_contain_text(DOMAIN)
    assert not blocking(axe_scan(page))

    # The same code on the default domain is another link.
    with stack.api() as api:
        token = api.post("/auth/login", json={"email": ADMIN, "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {"target_url": "https://example.com/other", "code": "spring"}
        assert api.post("/links", json=body, headers=headers).status_code == 201
        on_domain = api.get("/links/spring", params={"domain": DOMAIN}, headers=headers).json()
    assert (on_domain["short_url"], on_domain["target_url"]) == (
        f"http://{DOMAIN}/spring",
        "https://example.com/spring",
    )
    page.goto(f"/links/spring?domain={DOMAIN}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{DOMAIN}/spring")


def test_someone_who_is_not_an_admin_sees_the_domains_read_only(stack: Stack, page: Page) -> None:
    token = stack.create_first_admin(ADMIN)
    with stack.api() as api:
        headers = {"Authorization": f"Bearer {token}"}
        assert api.post("/domains", json={"host": DOMAIN}, headers=headers).status_code == 201
        assert api.post("/auth/register", json={"email": EDITOR, "password": PASSWORD}).status_code == 202
    sign_in(page, EDITOR)
    page.get_by_role("link", name="Domains").click()
    domains = page.get_by_role("list", name="Short domains")
    expect(domains.get_by_role("listitem")).to_have_count(2)
    expect(domains).to_contain_text(DOMAIN)
    expect(page.get_by_role("button", name="Add domain")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    assert not blocking(axe_scan(page))


def test_a_domain_links_use_cannot_be_removed(stack: Stack, page: Page) -> None:
    token = stack.create_first_admin(ADMIN)
    with stack.api() as api:
        headers = {"Authorization": f"Bearer {token}"}
        assert api.post("/domains", json={"host": DOMAIN}, headers=headers).status_code == 201
        link = {"target_url": "https://example.com/", "code": "kept", "domain": DOMAIN}
        assert api.post("/links", json=link, headers=headers).status_code == 201
    sign_in(page, ADMIN)
    page.goto("/domains")
    card = page.get_by_role("list", name="Short domains").get_by_role("listitem").filter(has_text=DOMAIN)
    card.get_by_role("button", name="Remove").click()
    dialog = page.get_by_role("dialog", name=f"Remove {DOMAIN}?")
    dialog.get_by_role("button", name="Remove domain").click()
    expect(dialog.get_by_role("alert")).to_contain_text("1 link uses")
    dialog.get_by_role("button", name="Cancel").click()
    assert sql(stack.settings, "SELECT count(*) FROM domains")[0]["count"] == 1
    with httpx.Client(base_url=f"{stack.admin.url}/api/v1") as api:
        assert api.get("/links/kept", params={"domain": DOMAIN}, headers=headers).status_code == 200
