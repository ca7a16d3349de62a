"""Targeting rules and the A/B split in the browser: the New link form's two editors (ordered rules
with their conditions, a split with each variant's live share), what the browser refuses before
sending and the API's refusal placed under its field, the link's page showing the routing, an edit,
the edge following it, and the routes of real clicks on the analytics page."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from harness.browser import DESKTOP, PHONE, axe_scan, blocking
from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import BROWSER_UA, PASSWORD, edge_status, set_up_first_admin
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

TARGET = "https://shop.example/"


def as_admin(stack: Stack, path: str, **params: Any) -> Any:
    with stack.api() as api:
        signed_in = api.post("/auth/login", json={"email": "admin@example.com", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        response = api.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def rule(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=f"Rule {number}", exact=True)


def variant(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=f"Variant {number}", exact=True)


def add_tags(field: Locator, *values: str) -> None:
    for value in values:
        field.fill(value)
        field.press("Enter")


def fill_rules(page: Page) -> None:
    page.get_by_text("Targeting rules (optional)").click()
    page.get_by_role("button", name="Add rule").click()
    mobile = rule(page, 1)
    mobile.get_by_label("Name (optional)").fill("Mobile DACH")
    mobile.get_by_label("Target URL", exact=True).fill("https://shop.example/app")
    mobile.get_by_label("Mobile", exact=True).check()
    mobile.get_by_label("Tablet", exact=True).check()
    add_tags(mobile.get_by_label("Countries", exact=True), "de", "at")
    expect(mobile.get_by_role("list", name="Countries of rule 1")).to_have_text(re.compile(r"DE.*AT"))

    page.get_by_role("button", name="Add rule").click()
    english = rule(page, 2)
    english.get_by_label("Target URL", exact=True).fill("https://shop.example/en")
    add_tags(english.get_by_label("Languages", exact=True), "en-GB")
    english.get_by_label("Starts (optional)").fill("2026-01-01T00:00")

    # A third rule without a condition would take everyone: the browser says so before sending.
    page.get_by_role("button", name="Add rule").click()
    rule(page, 3).get_by_label("Target URL", exact=True).fill("https://shop.example/all")


def fill_split(page: Page) -> None:
    page.get_by_text("A/B split (optional)").click()
    page.get_by_role("button", name="Add an A/B split").click()
    for number, (target, weight) in enumerate((("https://shop.example/a", "70"), ("https://shop.example/b", "30")), 1):
        row = variant(page, number)
        row.get_by_label("Target URL", exact=True).fill(target)
        row.get_by_label("Weight").fill(weight)
    expect(variant(page, 1).get_by_label("Weight")).to_have_accessible_description("70% of visitors")
    expect(variant(page, 2).get_by_label("Weight")).to_have_accessible_description("30% of visitors")


def test_rules_and_a_split_made_in_the_form_seen_on_the_link_and_changed(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    page.goto("/links/new")
    page.get_by_label("Target URL").fill(TARGET)
    page.get_by_label("Custom code (optional)").fill("ab")
    fill_rules(page)
    fill_split(page)

    page.get_by_role("button", name="Create link").click()
    expect(rule(page, 3)).to_contain_text("Choose at least one condition")
    expect(page).to_have_url(re.compile(r"/links/new$"))
    page.get_by_role("button", name="Remove rule 3").click()
    # Order matters: the English rule goes first.
    page.get_by_role("button", name="Move rule 2 up").click()
    expect(rule(page, 1).get_by_label("Target URL", exact=True)).to_have_value("https://shop.example/en")
    assert not blocking(axe_scan(page))
    screenshot(page, "link-routing-form")
    # Dark, and on a phone: readable, and nothing scrolls sideways.
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
    assert not blocking(axe_scan(page))
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "link-routing-form-phone-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": DESKTOP["width"], "height": DESKTOP["height"]})

    page.get_by_role("button", name="Create link").click()
    expect(page).to_have_url(re.compile(r"/links/ab$"))
    expect(page.get_by_text("Link created.")).to_be_visible()
    expect(page.get_by_text("2 rules", exact=True)).to_be_visible()
    expect(page.get_by_text("A/B 70/30", exact=True)).to_be_visible()
    routing = page.locator("section").filter(has=page.get_by_role("heading", name="Routing"))
    expect(routing.get_by_role("listitem").nth(0)).to_contain_text("1. Rule 1")
    expect(routing.get_by_role("listitem").nth(1)).to_contain_text("Mobile or Tablet · DE or AT")
    assert not blocking(axe_scan(page))
    screenshot(page, "link-routing-detail")

    link = as_admin(stack, "/links/ab")
    assert [(item["name"], item["target"]) for item in link["rules"]] == [
        ("Rule 1", "https://shop.example/en"),
        ("Mobile DACH", "https://shop.example/app"),
    ]
    assert link["rules"][0]["conditions"]["languages"] == ["en-gb"]
    assert link["rules"][1]["conditions"]["devices"] == ["mobile", "tablet"]
    assert link["rules"][1]["conditions"]["countries"] == ["DE", "AT"]
    assert [(item["name"], item["weight"]) for item in link["variants"]] == [("A", 70), ("B", 30)]

    edge_status(stack, "ab", 302)
    with httpx.Client(follow_redirects=False, timeout=5) as http:
        british = http.get(f"{stack.edge.url}/ab", headers={"User-Agent": BROWSER_UA, "Accept-Language": "en-GB"})
        german = http.get(f"{stack.edge.url}/ab", headers={"User-Agent": BROWSER_UA, "Accept-Language": "de"})
    assert british.headers["location"] == "https://shop.example/en"
    assert german.headers["location"] in ("https://shop.example/a", "https://shop.example/b")
    chosen = "A" if german.headers["location"].endswith("/a") else "B"

    # The analytics page names the routes the two clicks took.
    wait_until(
        lambda: as_admin(stack, "/links/ab/analytics")["total_clicks"],
        lambda total: total == 2,
        timeout=20,
        what="the two clicks to be counted",
    )
    page.goto("/links/ab/analytics")
    routes = page.locator("section").filter(has=page.get_by_role("heading", name="Routes"))
    expect(routes.get_by_role("rowheader", name="Rule: Rule 1")).to_be_visible()
    expect(routes.get_by_role("rowheader", name=f"Variant {chosen}")).to_be_visible()
    recent = page.get_by_role("table", name=re.compile(r"latest .* clicks"))
    expect(recent.get_by_role("columnheader", name="Route")).to_be_visible()
    expect(recent.get_by_role("cell", name=f"Variant {chosen}")).to_be_visible()
    assert not blocking(axe_scan(page))
    screenshot(page, "link-routing-analytics")

    # Edit: a 60/40 split, the Mobile rule gone, and a variant target the API refuses (the short domain).
    page.goto("/links/ab")
    variant(page, 1).get_by_label("Weight").fill("60")
    variant(page, 2).get_by_label("Weight").fill("40")
    page.get_by_role("button", name="Remove rule 2").click()
    refused = variant(page, 2).get_by_label("Target URL", exact=True)
    refused.fill(f"{stack.edge.url}/ab")
    page.get_by_role("button", name="Save changes").click()
    expect(refused).to_have_attribute("aria-invalid", "true")
    expect(refused).to_have_accessible_description(re.compile(r"cannot point at the short domain"))
    refused.fill("https://shop.example/b2")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(re.compile(r"^Saved at"))).to_be_visible()
    expect(page.get_by_text("1 rule", exact=True)).to_be_visible()
    expect(page.get_by_text("A/B 60/40", exact=True)).to_be_visible()
    link = as_admin(stack, "/links/ab")
    assert [item["name"] for item in link["rules"]] == ["Rule 1"]
    assert [(item["target"], item["weight"]) for item in link["variants"]] == [
        ("https://shop.example/a", 60),
        ("https://shop.example/b2", 40),
    ]

    # Removing both sends everyone to the target URL again.
    page.get_by_role("button", name="Remove rule 1").click()
    page.get_by_role("button", name="Remove the split").click()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("A/B 60/40", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Routing")).to_have_count(0)
    link = as_admin(stack, "/links/ab")
    assert (link["rules"], link["variants"]) == (None, None)
