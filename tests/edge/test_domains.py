"""Several short domains at a real edge: the Host picks the domain, the same code on two domains
is two links, each domain answers its bare address and unknown codes with its own redirects, and
the worker counts each click for its own link."""

from __future__ import annotations

import httpx
import pytest

from common.domains import announce_domains_changed
from common.edge_sync import sync_links
from common.link_passwords import hash_link_password
from common.settings import Settings
from common.stores import open_stores
from harness.clicks import stream_clicks, stream_orphan_visits
from tests.admin.db import sql
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import wait_until_async, wait_until_in_loop

pytestmark = pytest.mark.e2e

DEFAULT = "sho.rt"
OTHER = "go.example"


async def add_domain(settings: Settings, host: str, *, base: str | None = None, not_found: str | None = None) -> None:
    sql(
        settings,
        "INSERT INTO domains (host, base_redirect, not_found_redirect) VALUES ($1, $2, $3)",
        host,
        base,
        not_found,
    )
    async with open_stores(settings) as stores:
        await announce_domains_changed(stores.redis, stores.keys)


async def add_links(settings: Settings, *links: tuple[str | None, str, str]) -> None:
    """(domain, code, target) each, pushed to Redis as admin's write-through does."""
    keys = []
    for domain, code, target in links:
        (row,) = sql(
            settings,
            "INSERT INTO links (domain, code, target_url) VALUES ($1, $2, $3) RETURNING edge_key",
            domain,
            code,
            target,
        )
        keys.append(row["edge_key"])
    async with open_stores(settings) as stores:
        assert await sync_links(pool=stores.pool, redis=stores.redis, keys=stores.keys, edge_keys=keys)


async def location(
    edge_url: str, path: str, host: str, headers: dict[str, str] | None = None
) -> tuple[int, str | None]:
    """The status and Location of GET ``path`` with ``host`` in the Host header."""
    async with httpx.AsyncClient(base_url=edge_url) as client:
        answer = await client.get(path, headers={"host": host, **(headers or {})})
    return answer.status_code, answer.headers.get("location")


async def test_the_host_picks_the_link_and_each_domain_answers_its_own_redirects(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory, worker_factory: ProcessFactory
) -> None:
    settings = settings_factory(short_base_url=f"https://{DEFAULT}", edge_orphan_visits_per_second=1_000.0)
    await add_domain(settings, OTHER, base="https://example.com/home", not_found="https://example.com/missing")
    await add_links(settings, (None, "abc", "https://example.com/default"), (OTHER, "abc", "https://example.com/other"))
    edge = edge_factory(settings)

    assert await location(edge.url, "/abc", DEFAULT) == (302, "https://example.com/default")
    assert await location(edge.url, "/abc", OTHER) == (302, "https://example.com/other")
    # As browsers and proxies may spell it: case, the DNS root's dot, the scheme's default port.
    assert await location(edge.url, "/abc", "Go.Example.:443") == (302, "https://example.com/other")
    assert await location(edge.url, "/", OTHER) == (302, "https://example.com/home")
    assert await location(edge.url, "/nope", OTHER) == (302, "https://example.com/missing")
    assert await location(edge.url, "/a/b", OTHER) == (302, "https://example.com/missing")
    # The default domain has no redirects of its own: 404s.
    assert await location(edge.url, "/nope", DEFAULT) == (404, None)
    assert await location(edge.url, "/", DEFAULT) == (404, None)
    # A Host that is no short domain is served as the default domain (HOP_EDGE_UNKNOWN_HOST=default).
    assert await location(edge.url, "/abc", "elsewhere.example") == (302, "https://example.com/default")

    clicks = await wait_until_in_loop(lambda: stream_clicks(settings), lambda found: len(found) >= 4)
    assert sorted(click[1] for click in clicks) == ["abc", "abc", f"{OTHER}/abc", f"{OTHER}/abc"]
    visits = await wait_until_in_loop(lambda: stream_orphan_visits(settings), lambda found: len(found) >= 5)
    assert sorted((visit[1], visit[6] if len(visit) == 7 else "") for visit in visits) == [
        ("/", ""),
        ("/", OTHER),
        ("/a/b", OTHER),
        ("/nope", ""),
        ("/nope", OTHER),
    ]

    worker_factory(settings)
    counts = await wait_until_in_loop(
        lambda: sql(settings, "SELECT edge_key, click_count FROM links ORDER BY edge_key"),
        lambda rows: sum(row["click_count"] for row in rows) >= 4,
        what="the worker counting the four clicks",
    )
    assert [(row["edge_key"], row["click_count"]) for row in counts] == [("abc", 2), (f"{OTHER}/abc", 2)]
    orphans = await wait_until_in_loop(
        lambda: sql(settings, "SELECT domain, kind, path FROM orphan_visits ORDER BY domain, path"),
        lambda rows: len(rows) >= 5,
        what="the worker storing the orphan visits",
    )
    assert [tuple(row) for row in orphans] == [
        ("", "base_url", "/"),
        ("", "invalid_short_url", "/nope"),
        (OTHER, "base_url", "/"),
        (OTHER, "regular_404", "/a/b"),
        (OTHER, "invalid_short_url", "/nope"),
    ]


@pytest.mark.parametrize(
    ("unknown_host", "expected"),
    [("not_found", (404, None)), ("https://example.com/which", (302, "https://example.com/which"))],
)
async def test_a_host_that_is_no_domain_gets_the_configured_answer(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory, unknown_host: str, expected: tuple[int, str | None]
) -> None:
    settings = settings_factory(short_base_url=f"https://{DEFAULT}", edge_unknown_host=unknown_host)
    await add_links(settings, (None, "abc", "https://example.com/default"))
    edge = edge_factory(settings)

    assert await location(edge.url, "/abc", DEFAULT) == (302, "https://example.com/default")
    assert await location(edge.url, "/abc", "elsewhere.example") == expected
    assert await location(edge.url, "/", "elsewhere.example") == expected


async def test_a_domain_added_while_the_edge_runs_is_served_once_announced(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(short_base_url=f"https://{DEFAULT}")
    edge = edge_factory(settings)
    assert await location(edge.url, "/", OTHER) == (404, None)

    await add_domain(settings, OTHER, base="https://example.com/home")
    await add_links(settings, (OTHER, "new", "https://example.com/new"))

    await wait_until_async(
        lambda: location(edge.url, "/", OTHER),
        lambda answer: answer == (302, "https://example.com/home"),
        what="the edge reloading the domains",
    )
    assert await location(edge.url, "/new", OTHER) == (302, "https://example.com/new")
    assert await location(edge.url, "/new", DEFAULT) == (404, None)


async def test_x_forwarded_host_counts_only_from_a_trusted_proxy(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    trusted = settings_factory(short_base_url=f"https://{DEFAULT}", trusted_proxies="127.0.0.1/32")
    untrusted = settings_factory(short_base_url=f"https://{DEFAULT}", trusted_proxies="10.0.0.0/8")
    for settings in (trusted, untrusted):
        await add_domain(settings, OTHER)
        await add_links(
            settings, (None, "abc", "https://example.com/default"), (OTHER, "abc", "https://example.com/other")
        )
    trusted_edge, untrusted_edge = edge_factory(trusted), edge_factory(untrusted)

    forwarded = {"x-forwarded-host": f"spoofed.example, {OTHER}"}
    assert await location(trusted_edge.url, "/abc", DEFAULT, forwarded) == (302, "https://example.com/other")
    assert await location(untrusted_edge.url, "/abc", DEFAULT, forwarded) == (302, "https://example.com/default")


async def test_a_protected_link_on_a_domain_unlocks_for_that_domain_only(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(short_base_url=f"https://{DEFAULT}")
    await add_domain(settings, OTHER)
    await add_links(settings, (None, "abc", "https://example.com/default"), (OTHER, "abc", "https://example.com/other"))
    password_hash = await hash_link_password("open sesame")
    sql(settings, "UPDATE links SET password_hash = $1, version = version + 1", password_hash)
    async with open_stores(settings) as stores:
        assert await sync_links(
            pool=stores.pool, redis=stores.redis, keys=stores.keys, edge_keys=["abc", f"{OTHER}/abc"]
        )
    edge = edge_factory(settings)

    async with httpx.AsyncClient(base_url=edge.url) as visitor:
        form = {"content-type": "application/x-www-form-urlencoded"}
        right = await visitor.post("/abc", content="password=open+sesame", headers={"host": OTHER, **form})
        assert right.status_code == 303 and right.headers["location"] == "https://example.com/other"
        cookie = right.headers["set-cookie"]
        assert "; Path=/abc;" in cookie
        token = cookie.split(";")[0].split("=", 1)[1]

        # The cookie opens the link it was given for, and not the same code on the default domain.
        opened = await visitor.get("/abc", headers={"host": OTHER, "cookie": f"hop_unlock={token}"})
        assert (opened.status_code, opened.headers.get("location")) == (302, "https://example.com/other")
        elsewhere = await visitor.get("/abc", headers={"host": DEFAULT, "cookie": f"hop_unlock={token}"})
        assert elsewhere.status_code == 200 and "location" not in elsewhere.headers  # the form
