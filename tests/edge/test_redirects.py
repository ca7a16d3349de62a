"""The edge app in process (TestClient runs its lifespan) against real Redis and Postgres."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import redis
from starlette.testclient import TestClient

from common.records import NEGATIVE, Click, Keys
from common.settings import Settings
from common.stores import Stores, open_stores
from edge.app import create_app
from harness.clicks import clicks_by_code, stream_clicks
from tests.conftest import SettingsFactory
from tests.helpers import add_link, wait_until_in_loop


@pytest.fixture
def edge(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://short.test", follow_redirects=False) as client:
        yield client


def wait_for_clicks(settings: Settings, expected: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while (count := len(stream_clicks(settings))) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return count


async def wait_for_visit_by(settings: Settings, user_agent: str) -> list[Click]:
    """Every click in the streams, once one from ``user_agent`` is among them.

    Clicks reach the streams in the order the edge took them, so any click from a request made
    before that one is there too: this is how a test sees that an earlier request made none.
    """
    return await wait_until_in_loop(
        lambda: stream_clicks(settings),
        lambda clicks: any(click[3] == user_agent for click in clicks),
        what=f"a click from {user_agent}",
        timeout=5.0,
    )


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_with_the_link_status_and_location(stores: Stores, settings: Settings, status: int) -> None:
    await add_link(stores, settings, "https://example.com/landing?utm=x", code=f"s{status}", status=status)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        response = client.get(f"/s{status}")
    assert response.status_code == status
    assert response.headers["location"] == "https://example.com/landing?utm=x"
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert "no-store" in response.headers["cache-control"]


async def test_head_redirects_without_counting_a_click(stores: Stores, settings: Settings) -> None:
    await add_link(stores, settings, "https://example.com/", code="head")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        response = client.head("/head", headers={"user-agent": "link-checker"})
        client.get("/head", headers={"user-agent": "visitor"})
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/"
    clicks = await wait_for_visit_by(settings, "visitor")
    assert [click[3] for click in clicks] == ["visitor"]
    assert clicks_by_code(settings) == {"head": 1}


def test_unknown_code_is_a_404_page_and_remembered_as_unknown(edge: TestClient, settings: Settings) -> None:
    response = edge.get("/nope")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Link not found" in response.text
    assert response.headers["x-robots-tag"].startswith("noindex")
    with redis.Redis.from_url(str(settings.redis_url)) as client:
        assert client.get(Keys(settings.redis_prefix).link("nope")) == NEGATIVE


@pytest.mark.parametrize("path", ["/bad%20code", "/" + "x" * 65, "/a.b"])
def test_malformed_codes_are_404_without_a_lookup(edge: TestClient, settings: Settings, path: str) -> None:
    assert edge.get(path).status_code == 404
    with redis.Redis.from_url(str(settings.redis_url)) as client:
        assert not list(client.scan_iter(match=f"{settings.redis_prefix}link:*"))


async def test_expired_link_is_404(stores: Stores, settings: Settings) -> None:
    soon = datetime.now(UTC) + timedelta(milliseconds=300)
    await add_link(stores, settings, "https://example.com/", code="brief", expires_at=soon)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/brief").status_code == 302
        # The edge now holds the link's Redirect; past the expiry it must refuse it without asking the stores.
        await wait_until_in_loop(lambda: datetime.now(UTC), lambda now: now >= soon, what="the link's expiry")
        assert client.get("/brief").status_code == 404


async def test_disabled_link_is_404_also_when_read_through(stores: Stores, settings: Settings) -> None:
    await add_link(stores, settings, "https://example.com/", code="off")
    await stores.pool.execute("UPDATE links SET disabled = true WHERE code = 'off'")
    await stores.redis.delete(stores.keys.link("off"))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/off").status_code == 404


async def test_forward_query_appends_the_visitor_query(stores: Stores, settings: Settings) -> None:
    await add_link(stores, settings, "https://example.com/p?a=1#top", code="fwd", forward_query=True)
    await add_link(stores, settings, "https://example.com/p", code="keep")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/fwd?utm_source=mail").headers["location"] == "https://example.com/p?a=1&utm_source=mail#top"
        assert client.get("/fwd").headers["location"] == "https://example.com/p?a=1#top"
        assert client.get("/keep?x=1").headers["location"] == "https://example.com/p"


async def test_click_tuple_carries_request_details(stores: Stores, settings_factory: SettingsFactory) -> None:
    settings = settings_factory(trusted_proxies="10.0.0.0/8", country_header="CF-IPCountry")
    async with open_stores(settings) as own:
        await add_link(own, settings, "https://example.com/", code="who")
    headers = {
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        "referer": "https://news.example.org/item?id=1",
        "x-forwarded-for": "203.0.113.9, 10.1.2.3",
        "cf-ipcountry": "NL",
    }
    app = create_app(settings)
    with TestClient(app, follow_redirects=False, client=("10.0.0.1", 5000)) as client:
        assert client.get("/who", headers=headers).status_code == 302
    assert wait_for_clicks(settings, 1) == 1
    (click,) = stream_clicks(settings)
    assert click[1:] == ("who", "203.0.113.9", headers["user-agent"], headers["referer"], "NL")
    assert abs(click[0] - time.time() * 1000) < 10_000


async def test_untrusted_peer_cannot_spoof_ip_or_country(stores: Stores, settings: Settings) -> None:
    await add_link(stores, settings, "https://example.com/", code="spoof")
    with TestClient(create_app(settings), follow_redirects=False, client=("198.51.100.7", 5000)) as client:
        client.get("/spoof", headers={"x-forwarded-for": "1.2.3.4", "cf-ipcountry": "US"})
    assert wait_for_clicks(settings, 1) == 1
    (click,) = stream_clicks(settings)
    assert click[2] == "198.51.100.7"
    assert click[5] == ""


async def test_nostat_opts_out_of_tracking(stores: Stores, settings: Settings) -> None:
    await add_link(stores, settings, "https://example.com/", code="quiet")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/quiet?nostat", headers={"user-agent": "monitor"}).status_code == 302
        assert client.get("/quiet", headers={"user-agent": "visitor"}).status_code == 302
    clicks = await wait_for_visit_by(settings, "visitor")
    assert [click[3] for click in clicks] == ["visitor"]
    assert clicks_by_code(settings) == {"quiet": 1}


async def test_redis_miss_reads_through_to_postgres_and_writes_back(stores: Stores, settings: Settings) -> None:
    await add_link(stores, settings, "https://example.com/rt", code="rt")
    await stores.redis.delete(stores.keys.link("rt"))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/rt").headers["location"] == "https://example.com/rt"
        deadline = time.monotonic() + 2
        while await stores.redis.get(stores.keys.link("rt")) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    assert await stores.redis.get(stores.keys.link("rt")) is not None


def test_health_and_readiness(edge: TestClient) -> None:
    assert edge.get("/healthz").text == "ok\n"
    assert edge.get("/readyz").status_code == 200
    assert "Disallow: /" in edge.get("/robots.txt").text


async def test_edge_refuses_to_start_on_an_unmigrated_database(settings: Settings) -> None:
    conn = await asyncpg.connect(str(settings.database_url))
    await conn.execute(f'DROP TABLE "{settings.database_schema}".schema_migrations')
    await conn.close()
    with pytest.raises(Exception, match="hop migrate"), TestClient(create_app(settings)):
        pass
