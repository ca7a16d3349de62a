"""Every page of the dashboard, as a person on a desktop (light and dark) and on a 375 px phone
sees it: it renders its heading with its data, the axe-core scan finds no serious or critical
violation, nothing scrolls sideways on the phone, and a screenshot of each lands in
artifacts/screenshots/ (the scan results in artifacts/axe/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.browser import DESKTOP, PHONE, axe_scan, blocking, write_json
from tests.dashboard.conftest import ARTIFACTS, Stack, browser_page, screenshot
from tests.dashboard.flows import BROWSER_UA, PASSWORD, edge_status, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"
SIGNED_IN_PAGES = {
    "links": "/links",
    "link-new": "/links/new",
    "link-import": "/links/import",
    "link-detail": "/links/welcome",
    "link-analytics": "/links/welcome/analytics",
    "analytics": "/analytics",
    "keys": "/keys",
    "domains": "/domains",
    "account": "/account",
    "users": "/admin/users",
    "audit": "/admin/audit",
    "orphan-visits": "/admin/orphan-visits",
}
SIGNED_OUT_PAGES = {
    "sign-in": "/sign-in",
    "register": "/register",
    "forgot-password": "/forgot-password",
    "reset-password": "/reset-password#token=not-a-real-token",
}


@dataclass(frozen=True)
class Variant:
    name: str
    context: dict[str, Any]

    @property
    def phone(self) -> bool:
        return bool(self.context["viewport"] == PHONE)


VARIANTS = [
    Variant("desktop", {"viewport": DESKTOP, "color_scheme": "light"}),
    Variant("desktop-dark", {"viewport": DESKTOP, "color_scheme": "dark"}),
    Variant("phone", {"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "has_touch": True}),
]


def populate(stack: Stack) -> None:
    """An account with something on every page: links with a click, an API key, audit entries."""
    headers = {"Authorization": f"Bearer {stack.create_first_admin(ADMIN)}"}
    with stack.api() as api:
        for code, target, tags in (
            ("welcome", "https://example.com/welcome", ["onboarding"]),
            ("pricing", "https://example.com/pricing?plan=pro", ["sales", "web"]),
            ("guide", "https://docs.example.com/start", []),
        ):
            body = {"target_url": target, "code": code, "title": code.title(), "tags": tags}
            assert api.post("/links", json=body, headers=headers).status_code == 201
        assert api.post("/api-keys", json={"name": "CI deploys"}, headers=headers).status_code == 201
        assert api.post("/auth/register", json={"email": "editor@example.com", "password": PASSWORD}).status_code == 202
    edge_status(stack, "welcome", 302)
    with httpx.Client(follow_redirects=False) as http:
        http.get(f"{stack.edge.url}/welcome", headers={"User-Agent": BROWSER_UA, "Referer": "https://news.example/"})


@pytest.fixture(params=VARIANTS, ids=lambda variant: variant.name)
def variant(request: pytest.FixtureRequest) -> Variant:
    variant: Variant = request.param
    return variant


@pytest.fixture
def variant_page(stack: Stack, variant: Variant, request: pytest.FixtureRequest) -> Iterator[Page]:
    with browser_page(stack, request, **variant.context) as opened:
        yield opened


def check_page(page: Page, name: str, path: str, variant: Variant) -> list[dict[str, Any]]:
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # Settled: no spinner left (each says "Loading…" to screen readers).
    expect(page.get_by_role("status").filter(has_text=re.compile("Loading"))).to_have_count(0)
    if variant.phone:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {PHONE['width']} px"
    screenshot(page, f"{name}-{variant.name}")
    return axe_scan(page)


def test_every_page_renders_accessibly(variant_page: Page, stack: Stack, variant: Variant) -> None:
    populate(stack)
    results: dict[str, list[dict[str, Any]]] = {}
    for name, path in SIGNED_OUT_PAGES.items():
        results[name] = check_page(variant_page, name, path, variant)
    sign_in(variant_page, ADMIN)
    for name, path in SIGNED_IN_PAGES.items():
        results[name] = check_page(variant_page, name, path, variant)
    write_json(ARTIFACTS / "axe" / f"{variant.name}.json", results)
    serious = {name: blocking(violations) for name, violations in results.items() if blocking(violations)}
    assert not serious, serious
