"""Webhook deliveries by a real worker to a receiver on 127.0.0.1: link events and batched clicks,
signed as documented; retried with backoff, the endpoint disabled after failures in a row; and never
sent to an address the worker's settings do not allow (worker/webhooks.py)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from common.settings import Settings
from common.webhooks import verify
from tests.admin.api import Account, add_link
from tests.admin.db import sql
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import wait_until
from tests.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.e2e

EVENTS = ["click", "link.created", "link.updated", "link.deleted"]


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        webhook_allowed_networks="127.0.0.0/8", webhook_retry_base=0.2, webhook_disable_after=3, webhook_max_attempts=5
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as started:
        yield started


def add_endpoint(client: TestClient, account: Account, url: str, events: list[str] = EVENTS) -> dict[str, Any]:
    created = client.post("/api/v1/webhooks", json={"url": url, "events": events}, headers=account.headers)
    assert created.status_code == 201, created.text
    endpoint: dict[str, Any] = created.json()
    return endpoint


def deliveries(client: TestClient, account: Account, endpoint: dict[str, Any]) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = client.get(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries", headers=account.headers
    ).json()
    return log


def test_link_events_and_batched_clicks_arrive_signed(
    client: TestClient,
    alice: Account,
    settings: Settings,
    receiver: Receiver,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
) -> None:
    endpoint = add_endpoint(client, alice, receiver.url)
    edge = edge_factory(settings)
    worker_factory(settings)
    add_link(client, alice, "hooked")
    assert client.patch("/api/v1/links/hooked", json={"title": "Launch"}, headers=alice.headers).status_code == 200
    wait_until(receiver.events, lambda events: len(events) == 2, what="the two link events")
    with httpx.Client(base_url=edge.url) as visitor:
        for _ in range(3):
            assert visitor.get("/hooked", headers={"referer": "https://news.example/a"}).is_redirect
    clicks = wait_until(
        lambda: [
            click
            for request in receiver.received
            if request.json["event"] == "click"
            for click in request.json["data"]["clicks"]
        ],
        lambda found: len(found) == 3,
        what="the three clicks",
    )
    assert client.delete("/api/v1/links/hooked", headers=alice.headers).status_code == 204
    wait_until(receiver.events, lambda events: events[-1] == "link.deleted", what="the link.deleted event")

    assert sorted(receiver.events()[:2]) == ["link.created", "link.updated"]  # sent at once: in either order
    assert {click["code"] for click in clicks} == {"hooked"} and clicks[0]["referrer_host"] == "news.example"
    assert "ip" not in clicks[0] and "user_agent" not in clicks[0]
    for request in receiver.received:
        headers = {name.lower(): value for name, value in request.headers.items()}
        timestamp, signed = headers["hop-webhook-timestamp"], headers["hop-webhook-signature"]
        # The documented scheme, computed here on its own, and the library's verify() agree.
        expected = hmac.new(endpoint["secret"].encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
        assert signed == f"v1={expected.hexdigest()}"
        assert verify(endpoint["secret"], request.body, timestamp=timestamp, signed=signed, now=int(time.time()))
        assert not verify(
            endpoint["secret"], request.body + b" ", timestamp=timestamp, signed=signed, now=int(time.time())
        )
        assert headers["hop-webhook-id"] == request.json["id"] and headers["host"].startswith("127.0.0.1:")
    # The worker marks a delivery once the receiver has answered: the last one may still be pending here.
    statuses = wait_until(
        lambda: [entry["status"] for entry in deliveries(client, alice, endpoint)],
        lambda found: "pending" not in found,
        what="every delivery's outcome recorded",
    )
    assert statuses == ["delivered"] * len(receiver.received)


def test_failures_are_retried_with_backoff_then_the_endpoint_is_disabled_until_re_enabled(
    client: TestClient, alice: Account, settings: Settings, receiver: Receiver, worker_factory: ProcessFactory
) -> None:
    receiver.answer(500)
    endpoint = add_endpoint(client, alice, receiver.url, events=["link.created"])
    worker_factory(settings)
    add_link(client, alice, "x")

    disabled = wait_until(
        lambda: client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=alice.headers).json(),
        lambda found: not found["enabled"],
        what="the endpoint disabled after 3 failures in a row",
    )
    assert disabled["consecutive_failures"] == 3
    assert disabled["disabled_reason"] == "disabled after 3 failed deliveries in a row; the last: answered 500"
    [pending] = deliveries(client, alice, endpoint)
    assert (pending["status"], pending["attempts"], pending["last_status_code"]) == ("pending", 3, 500)
    attempts = [row["last_attempt_at"] for row in sql(settings, "SELECT last_attempt_at FROM webhook_deliveries")]
    assert len(receiver.received) == 3 and len(attempts) == 1
    gaps = [sent.headers["Hop-Webhook-Timestamp"] for sent in receiver.received]
    assert gaps == sorted(gaps)  # one delivery, tried three times, in order

    receiver.answer(200)
    client.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}, headers=alice.headers)
    delivered = wait_until(
        lambda: deliveries(client, alice, endpoint)[0], lambda found: found["status"] == "delivered", what="the retry"
    )
    assert delivered["attempts"] == 4 and len({sent.json["id"] for sent in receiver.received}) == 1


def test_an_address_the_worker_does_not_allow_is_never_contacted(
    client: TestClient, alice: Account, settings: Settings, receiver: Receiver, worker_factory: ProcessFactory
) -> None:
    endpoint = add_endpoint(client, alice, receiver.url, events=["link.created"])
    # Admin allowed the loopback network when the endpoint was added; the worker's settings do not.
    worker_factory(settings.model_copy(update={"webhook_allowed_networks": []}))
    add_link(client, alice, "y")
    refused = wait_until(
        lambda: deliveries(client, alice, endpoint)[0],
        lambda found: found["last_error"] is not None,
        what="the delivery refused",
    )
    assert refused["last_error"].startswith("refused: 127.0.0.1 is a loopback address: webhooks go to public addresses")
    assert receiver.received == []
