"""The live click feed with real processes: redirects at a real edge, counted by a real worker,
arrive as Server-Sent Events from a real admin (Granian), resume after a reconnect, and stay within
their bounds (admin/click_feed.py, worker/feed.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from common.settings import Settings
from harness.stores import sync_redis
from tests.admin.api import Account, add_link
from tests.admin.db import sql
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

HEARTBEAT_S = 0.3
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
Event = dict[str, str]


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(feed_heartbeat=HEARTBEAT_S)


class Feed:
    """One open event stream, read event by event (comments are heartbeats)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()

    def next(self) -> Event:
        """The next event or heartbeat: its fields, ``{"comment": ...}`` for a comment line."""
        event: Event = {}
        for line in self._lines:
            if not line:
                if event:
                    return event
                continue
            name, _, value = line.partition(":")
            if not name:
                return {"comment": value.strip()}
            event[name] = value.removeprefix(" ")
        raise AssertionError(f"the stream ended: {event}")

    def next_event(self) -> Event:
        """The next named event (``click``, ``gap``), heartbeats and the retry hint skipped."""
        while "event" not in (event := self.next()):
            pass
        return event

    def clicks(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        """The next ``count`` click events as (id, click), heartbeats skipped."""
        found: list[tuple[str, dict[str, Any]]] = []
        while len(found) < count:
            event = self.next()
            if event.get("event") == "click":
                found.append((event["id"], orjson.loads(event["data"])))
        return found

    def until_heartbeat(self) -> None:
        """Until the first heartbeat: the feed is watched and reading from then on."""
        while self.next() != {"comment": "heartbeat"}:
            pass


def open_feed(stack: ExitStack, url: str, account: Account, **headers: str) -> Feed:
    http = stack.enter_context(httpx.Client(timeout=10.0))
    response = stack.enter_context(http.stream("GET", url, headers=account.headers | headers))
    assert response.status_code == 200, response.read()
    assert response.headers["content-type"].startswith("text/event-stream")
    return Feed(response)


def assert_problem_code(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def applied_clicks(settings: Settings) -> int:
    return int(sql(settings, "SELECT coalesce(sum(click_count), 0) AS n FROM links")[0]["n"])


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as opened:
        yield opened


def test_clicks_arrive_live_and_a_reconnect_resumes_after_the_last_event(
    client: TestClient,
    alice: Account,
    settings: Settings,
    stack: ExitStack,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
    admin_factory: ProcessFactory,
) -> None:
    for code in ("live", "other"):
        add_link(client, alice, code)
    edge, admin = edge_factory(settings), admin_factory(settings)
    worker_factory(settings)
    link_feed = open_feed(stack, f"{admin.url}/api/v1/links/live/clicks/stream", alice)
    account_feed = open_feed(stack, f"{admin.url}/api/v1/clicks/stream", alice)
    link_feed.until_heartbeat()
    account_feed.until_heartbeat()

    with httpx.Client(base_url=edge.url) as visitor:
        sent = time.monotonic()
        for code in ("live", "other", "live"):
            assert visitor.get(
                f"/{code}", headers={"user-agent": BROWSER, "referer": "https://news.example/a"}
            ).is_redirect
    live = link_feed.clicks(2)
    latency = time.monotonic() - sent
    everything = account_feed.clicks(3)

    print(f"live feed: the second click arrived {latency * 1000:.0f} ms after the first redirect was sent")
    assert latency < 5.0  # the bound the product promises is 1 s (the note has the measured figure)
    assert [click["code"] for _, click in live] == ["live", "live"]
    assert sorted(click["code"] for _, click in everything) == ["live", "live", "other"]  # shards: any order
    assert live[0][1] | {"clicked_at": "-"} == {
        "domain": None,
        "code": "live",
        "clicked_at": "-",
        "country": "",
        "city": "",
        "referrer_host": "news.example",
        "browser": "Chrome",
        "os": "Linux",
        "device": "desktop",
        "is_bot": False,
        "route": "",
    }
    assert "ip" not in live[0][1] and "user_agent" not in live[0][1]  # the feed never shows who

    # Gone after the first click: the next connection resumes after it, and misses nothing since.
    with httpx.Client(base_url=edge.url) as visitor:
        for _ in range(2):
            assert visitor.get("/live").is_redirect
    wait_until(lambda: applied_clicks(settings), lambda n: n == 5, what="the worker counting 5 clicks")
    resumed = open_feed(stack, f"{admin.url}/api/v1/links/live/clicks/stream", alice, **{"last-event-id": live[0][0]})
    assert [click["code"] for _, click in resumed.clicks(3)] == ["live"] * 3


def test_without_a_watcher_nothing_is_published_and_a_trimmed_resume_says_gap(
    client: TestClient,
    alice: Account,
    settings: Settings,
    stack: ExitStack,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
    admin_factory: ProcessFactory,
) -> None:
    add_link(client, alice, "quiet")
    edge, admin = edge_factory(settings), admin_factory(settings)
    worker_factory(settings)
    assert httpx.get(f"{edge.url}/quiet").is_redirect
    wait_until(lambda: applied_clicks(settings), lambda n: n == 1, what="the worker counting the click")
    redis = sync_redis(settings)
    feed_key = f"{settings.redis_prefix}feed:{alice.id}"
    assert redis.exists(feed_key) == 0  # counted, and not published: nobody was watching

    feed = open_feed(stack, f"{admin.url}/api/v1/clicks/stream", alice)
    feed.until_heartbeat()
    assert httpx.get(f"{edge.url}/quiet").is_redirect
    [(first_id, _)] = feed.clicks(1)
    redis.xtrim(feed_key, maxlen=0)
    resumed = open_feed(stack, f"{admin.url}/api/v1/clicks/stream", alice, **{"last-event-id": "1-0:0"})
    assert resumed.next_event()["event"] == "gap"
    assert first_id.endswith(":0")


def test_feeds_are_bounded_per_user_and_refuse_bad_ids_and_other_peoples_links(
    client: TestClient,
    alice: Account,
    bob: Account,
    settings: Settings,
    stack: ExitStack,
    admin_factory: ProcessFactory,
) -> None:
    add_link(client, alice, "mine")
    admin = admin_factory(settings)
    for _ in range(5):
        open_feed(stack, f"{admin.url}/api/v1/clicks/stream", alice)
    with httpx.Client(base_url=admin.url) as http:
        assert_problem_code(http.get("/api/v1/clicks/stream", headers=alice.headers), 429, "too_many_feeds")
        assert http.get("/api/v1/links/mine/clicks/stream", headers=bob.headers).status_code == 404
        assert http.get("/api/v1/clicks/stream").status_code == 401
        bad = http.get("/api/v1/clicks/stream", headers=bob.headers | {"last-event-id": "../../etc"})
        assert_problem_code(bad, 422, "invalid_event_id")
    open_feed(stack, f"{admin.url}/api/v1/clicks/stream", bob)  # bob's bound is his own

    # Open feeds end when the process is asked to stop: Granian would otherwise wait for them, then kill it.
    admin.terminate()
    assert "refused to gracefully stop" not in admin.log()
