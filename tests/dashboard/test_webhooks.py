"""Webhooks in the browser: an endpoint added on the Webhooks page shows its secret once; a link
created afterwards reaches a real receiver signed with that secret, and the page's delivery log says
so; in light and dark, with no accessibility violation."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from common.settings import Settings
from common.webhooks import verify
from harness.browser import axe_scan, blocking
from tests.conftest import SettingsFactory
from tests.dashboard.conftest import Stack, screenshot
from tests.dashboard.flows import sign_in
from tests.helpers import wait_until
from tests.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(webhook_allowed_networks="127.0.0.0/8")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as started:
        yield started


def test_an_endpoint_added_in_the_dashboard_receives_signed_link_events(
    stack: Stack, page: Page, receiver: Receiver
) -> None:
    token = stack.create_first_admin(ADMIN)
    sign_in(page, ADMIN)
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("No webhooks yet")).to_be_visible()

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description (optional)").fill("Sales CRM")
    page.get_by_label("Clicks (click)").uncheck()
    page.get_by_label("Link created (link.created)").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_label("The new signing secret").inner_text().strip()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="I have stored the secret").click()
    expect(page.get_by_label("The new signing secret")).to_have_count(0)

    with stack.api() as api:
        body = {"target_url": "https://example.com/launch", "code": "launch"}
        assert api.post("/links", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 201
    [delivery] = wait_until(
        lambda: list(receiver.received), lambda found: len(found) == 1, what="the link.created delivery"
    )
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    assert verify(
        secret,
        delivery.body,
        timestamp=headers["hop-webhook-timestamp"],
        signed=headers["hop-webhook-signature"],
        now=int(time.time()),
    )

    page.get_by_role("button", name="Show deliveries").click()
    log = page.get_by_role("region", name=f"Deliveries to {receiver.url} (scrollable)")
    expect(log.get_by_role("row").nth(1)).to_contain_text("Delivered after 1 attempt", timeout=15_000)
    expect(log.get_by_role("row").nth(1)).to_contain_text("Link created")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert not blocking(axe_scan(page))
        screenshot(page, f"webhooks-{scheme}")

    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("Disabled", exact=True)).to_be_visible()
