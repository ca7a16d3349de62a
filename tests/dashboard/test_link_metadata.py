"""UTM parameters and the social preview in the browser: the New link form's two optional groups,
the destination URL computed live as the edge will, the preview card (its image checked before
sending), the link's page showing both, and the API and the edge agreeing on the result."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.browser import axe_scan, blocking
from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import PASSWORD, set_up_first_admin

pytestmark = pytest.mark.e2e

TARGET = "https://shop.example/sale?utm_source=old&ref=home#top"
DESTINATION = "https://shop.example/sale?ref=home&utm_source=newsletter&utm_medium=email&utm_campaign=black+friday#top"
TITLE = "Black Friday: everything half price"


def link_as_admin(stack: Stack, code: str) -> dict[str, object]:
    with stack.api() as api:
        signed_in = api.post("/auth/login", json={"email": "admin@example.com", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        link: dict[str, object] = api.get(f"/links/{code}", headers=headers).json()
    return link


def fill_utm(page: Page) -> None:
    page.get_by_text("UTM parameters (optional)").click()
    source = page.get_by_label("Source")
    expect(source).to_have_accessible_description(re.compile(r"e\.g\. newsletter"))
    source.fill("newsletter")
    page.get_by_label("Medium").fill("email")
    page.get_by_label("Campaign").fill("black friday")


def fill_preview(page: Page, image: str) -> None:
    page.get_by_text("Social preview (optional)").click()
    page.get_by_label("Preview title").fill(TITLE)
    page.get_by_label("Preview description").fill("Only this week.\nWhile stocks last.")
    page.get_by_label("Image URL").fill(image)


def test_utm_fields_and_a_preview_set_in_the_new_link_form(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    page.goto("/links/new")
    page.get_by_label("Target URL").fill(TARGET)
    page.get_by_label("Custom code (optional)").fill("promo")
    fill_utm(page)
    expect(page.get_by_test_id("destination-url")).to_have_text(DESTINATION)

    # Another origin than the dashboard's, as a preview image always is.
    image = f"http://localhost:{stack.admin.port}/favicon.svg"
    fill_preview(page, "javascript:alert(1)")
    image_input = page.get_by_label("Image URL")
    page.get_by_role("button", name="Create link").click()
    expect(image_input).to_have_attribute("aria-invalid", "true")
    expect(image_input).to_have_accessible_description(
        re.compile(r"Enter a full image URL starting with http:// or https://")
    )
    card = page.get_by_role("figure")
    expect(card).not_to_contain_text("Image from")

    image_input.fill(image)
    expect(card).to_contain_text(TITLE)
    expect(card).to_contain_text("Only this week. While stocks last.")
    expect(card).to_contain_text(f"Image from localhost:{stack.admin.port}")  # named, never loaded
    expect(card.locator("img")).to_have_count(0)
    assert not blocking(axe_scan(page))
    screenshot(page, "link-metadata")

    page.get_by_role("button", name="Create link").click()
    expect(page).to_have_url(re.compile(r"/links/promo$"))
    expect(page.get_by_text("Link created.")).to_be_visible()
    expect(page.get_by_text("With UTM parameters:")).to_contain_text(DESTINATION)
    shown = page.locator("section").filter(has=page.get_by_role("heading", name="Campaign and preview"))
    expect(shown.get_by_text("utm_campaign")).to_be_visible()
    expect(shown.get_by_role("figure")).to_contain_text(TITLE)
    assert not blocking(axe_scan(page))
    screenshot(page, "link-metadata-detail")

    link = link_as_admin(stack, "promo")
    assert (link["target_url"], link["destination_url"]) == (TARGET, DESTINATION)
    description = "Only this week. While stocks last."
    assert link["preview"] == {"title": TITLE, "description": description, "image": image}
    with httpx.Client(follow_redirects=False, timeout=5) as http:
        assert http.get(f"{stack.edge.url}/promo?nostat").headers["location"] == DESTINATION


def test_utm_fields_changed_and_cleared_on_the_link_page(page: Page, stack: Stack) -> None:
    set_up_first_admin(page)
    page.goto("/links/new")
    page.get_by_label("Target URL").fill("https://example.com/")
    page.get_by_label("Custom code (optional)").fill("camp")
    fill_utm(page)
    page.get_by_role("button", name="Create link").click()
    expect(page).to_have_url(re.compile(r"/links/camp$"))
    # The new page's own notice: until it shows, the New link form may still be the one on screen.
    expect(page.get_by_text("Link created.")).to_be_visible()

    # The group opens by itself on a link that has values.
    page.get_by_label("Medium").fill("")
    page.get_by_label("Campaign").fill("")
    expect(page.get_by_test_id("destination-url")).to_have_text("https://example.com/?utm_source=newsletter")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(re.compile(r"^Saved at"))).to_be_visible()
    assert link_as_admin(stack, "camp")["destination_url"] == "https://example.com/?utm_source=newsletter"

    page.get_by_label("Source").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("With UTM parameters")).to_have_count(0)
    link = link_as_admin(stack, "camp")
    assert link["destination_url"] == "https://example.com/"
    assert link["utm"] == {"source": None, "medium": None, "campaign": None, "term": None, "content": None}
