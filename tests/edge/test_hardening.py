"""The edge against hostile or broken input, in process against real Redis and Postgres: planted and
malformed records, Host headers, 404 floods, click limits and the completeness marker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import cast

import pytest
import redis.asyncio
from starlette.testclient import TestClient

from common.db import open_pool
from common.linksync import MARKER_DONE, MARKER_PENDING, full_sync, mark_incomplete
from common.records import Keys, LinkRecord
from common.redis import create_redis
from common.settings import Settings
from common.stores import Stores, open_stores
from edge import responses
from edge.app import create_app
from edge.resolver import Resolved, Resolver, ResolverStats
from harness.processes import run_hop
from harness.stores import PrivateRedis
from tests.conftest import SettingsFactory
from tests.helpers import add_link, wait_until_async

UNSAFE_TARGETS = {
    "js": "javascript:alert(document.cookie)",
    "data": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vb": "vbscript:msgbox(1)",
}
SECURITY_HEADERS = ("x-content-type-options", "content-security-policy")


@pytest.fixture
def edge(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://short.test", follow_redirects=False) as client:
        yield client


def locations(found: list[Resolved]) -> list[str]:
    return [response.location for response in found if isinstance(response, responses.Redirect)]


async def marker_of(stores: Stores) -> bytes | None:
    # create_redis never decodes responses: the stored bytes.
    return cast("bytes | None", await stores.redis.get(stores.keys.links_complete))


def stats_of(client: TestClient) -> ResolverStats:
    resolver: Resolver = client.app_state["resolver"]
    return resolver.stats


# --- 1. planted records


async def test_a_planted_record_with_a_script_target_is_a_404_logged_once_and_counted(
    stores: Stores, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    await add_link(stores, settings, "https://example.com/", code="fine")
    for code, target in UNSAFE_TARGETS.items():
        await stores.redis.set(stores.keys.link(code), LinkRecord(target=target).encode())
    await stores.redis.set(stores.keys.link("ok200"), LinkRecord(target="https://e.com/", status=200).encode())
    caplog.set_level(logging.WARNING, logger="hop.edge.resolver")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        resolver: Resolver = client.app_state["resolver"]
        for _ in range(3):
            for code in [*UNSAFE_TARGETS, "ok200"]:
                response = client.get(f"/{code}")
                assert response.status_code == 404, (code, response.headers)
                assert "location" not in response.headers
                resolver.invalidate(code)  # the next request decodes the record again
        assert client.get("/fine").status_code == 302
    assert resolver.stats.rejected_unsafe == 3 * (len(UNSAFE_TARGETS) + 1)
    refused = [record.getMessage() for record in caplog.records if "refusing the redis record" in record.getMessage()]
    assert len(refused) == len(UNSAFE_TARGETS) + 1  # once per code, not once per decode
    assert all(sum(f"of {code!r}" in line for line in refused) == 1 for code in [*UNSAFE_TARGETS, "ok200"])


# --- 2. one malformed record, one code


async def test_a_malformed_record_fails_only_its_own_code_in_a_shared_batch(settings: Settings, stores: Stores) -> None:
    await add_link(stores, settings, "https://example.com/truth", code="bad")
    valid = [f"v{n}" for n in range(2_000)]
    await stores.redis.mset(
        {stores.keys.link(code): LinkRecord(target=f"https://e.com/{code}").encode() for code in valid}
    )
    # Garbage over a code Postgres has (read through: it redirects) and over one it lacks (404).
    await stores.redis.set(stores.keys.link("bad"), b'{"t": "https://e.com/", "s": 302')
    await stores.redis.set(stores.keys.link("junk"), b"\x00\xff garbage")
    resolver = Resolver(
        redis=stores.redis, pool=stores.pool, keys=stores.keys, cache_ttl=60, negative_ttl=5, max_entries=10_000
    )
    codes = [*valid[:1_000], "bad", "junk", *valid[1_000:]]

    found: list[Resolved] = await asyncio.gather(*(resolver.fetch(code) for code in codes))
    await resolver.aclose()

    answers = dict(zip(codes, found, strict=True))
    assert resolver.stats.batches == 1  # the garbage shared the MGET with all 2,000 valid codes
    assert locations([answers[code] for code in valid]) == [f"https://e.com/{code}" for code in valid]
    bad = answers["bad"]
    assert isinstance(bad, responses.Redirect) and bad.location == "https://example.com/truth"
    assert answers["junk"] is responses.NOT_FOUND
    assert resolver.stats.rejected_malformed == 2
    assert resolver.stats.read_through == 2


# --- 3. trailing slashes and the Host header


@pytest.mark.parametrize("path", ["/slash/", "/slash//", "/healthz/", "/robots.txt/", "/a/b"])
async def test_no_path_redirects_to_the_host_header(stores: Stores, settings: Settings, path: str) -> None:
    await add_link(stores, settings, "https://example.com/", code="slash")
    with TestClient(create_app(settings), base_url="http://short.test", follow_redirects=False) as client:
        response = client.get(path, headers={"host": "evil.example"})
        assert client.get("/slash", headers={"host": "evil.example"}).headers["location"] == "https://example.com/"
    assert response.status_code == 404
    assert "location" not in response.headers
    assert "Link not found" in response.text


# --- 6. headers of the edge's own pages


@pytest.mark.parametrize("path", ["/nope", "/bad%20code", "/a/b", "/robots.txt", "/healthz", "/readyz"])
def test_every_page_of_the_edge_says_nosniff_and_allows_nothing_to_run(edge: TestClient, path: str) -> None:
    response = edge.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'none';") and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy and "unsafe" not in policy


def test_a_failure_while_serving_a_code_is_a_500_with_its_cause_logged(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Redirects skip Starlette's ServerErrorMiddleware (edge.app.FastRedirects): a bug must still
    reach the client as a 500 and the log with its traceback, and leave the worker serving."""
    with TestClient(create_app(settings), follow_redirects=False) as client:
        resolver: Resolver = client.app_state["resolver"]
        healthy = resolver.cached

        def broken(code: str) -> Resolved | None:
            raise RuntimeError(f"bug while resolving {code}")

        resolver.cached = broken  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR, logger="hop.edge"):
            response = client.get("/boom")
        resolver.cached = healthy  # type: ignore[method-assign]
        assert client.get("/boom").status_code == 404
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "serving 'boom' failed" in caplog.text and "bug while resolving boom" in caplog.text


async def test_a_code_under_a_root_path_redirects_and_other_methods_are_told_get_and_head(
    stores: Stores, settings: Settings
) -> None:
    """The router's own /{code} route: a request FastRedirects leaves to Starlette still redirects."""
    await add_link(stores, settings, "https://example.com/rooted", code="rooted")
    with TestClient(create_app(settings), root_path="/short", follow_redirects=False) as client:
        assert client.get("/short/rooted").headers["location"] == "https://example.com/rooted"
        refused = client.put("/short/rooted")
    assert refused.status_code == 405
    assert sorted(method.strip() for method in refused.headers["allow"].split(",")) == ["GET", "HEAD"]


# --- 4. 404 floods


def test_a_client_past_its_404_budget_gets_429_without_a_lookup(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(edge_not_found_rate=0.1, edge_not_found_burst=5, trusted_proxies="10.0.0.0/8")
    prober = {"x-forwarded-for": "203.0.113.7"}
    other = {"x-forwarded-for": "198.51.100.8"}
    # One edge process behind a trusted proxy: the budget belongs to the forwarded address.
    with TestClient(create_app(settings), follow_redirects=False, client=("10.0.0.1", 5000)) as client:
        assert [client.get(f"/probe{n}", headers=prober).status_code for n in range(5)] == [404] * 5
        batches = stats_of(client).batches
        refused = client.get("/probe5", headers=prober)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "10"
        assert refused.headers["x-content-type-options"] == "nosniff"
        assert client.get("/probe6", headers=prober).status_code == 429
        assert stats_of(client).batches == batches  # throttled: no Redis, no Postgres
        assert client.get("/probe0", headers=prober).status_code == 429  # a cached 404 too
        assert client.get("/probe7", headers=other).status_code == 404  # another address has its own budget
        assert client.get("/probe8").status_code == 404  # and so has the proxy itself


async def test_a_throttled_client_still_gets_cached_redirects(
    settings_factory: SettingsFactory, stores: Stores
) -> None:
    settings = settings_factory(edge_not_found_rate=0.1, edge_not_found_burst=2)
    async with open_stores(settings) as own:
        await add_link(own, settings, "https://example.com/", code="real")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/real").status_code == 302
        assert [client.get(f"/x{n}").status_code for n in range(3)] == [404, 404, 429]
        assert client.get("/real").status_code == 302


# --- 7. click limits


async def test_the_click_counter_starts_from_the_clicks_postgres_counted(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(edge_not_found_rate=0)
    async with open_stores(settings) as stores:
        link = await add_link(stores, settings, "https://example.com/", code="once", max_clicks=5)
        await stores.pool.execute("UPDATE links SET click_count = 3 WHERE code = 'once'")
        await stores.redis.delete(stores.keys.link("once"))  # the edge reads it through, with the count
        with TestClient(create_app(settings), follow_redirects=False) as client:
            statuses = [client.get("/once").status_code for _ in range(4)]
            head = client.head("/once").status_code
        # 3 from Postgres, 2 served, 1 refused; then the edge remembers the link as used up.
        assert await stores.redis.get(stores.keys.used("once", link.id)) == b"6"
    assert statuses == [302, 302, 404, 404]
    assert head == 404


async def test_a_click_limited_link_does_not_redirect_while_its_counter_is_unreachable(
    settings_factory: SettingsFactory, private_redis: PrivateRedis
) -> None:
    # A short grace: the click of the last redirect cannot be flushed to the stopped Redis at shutdown.
    settings = settings_factory(redis_url=private_redis.url, cache_ttl=300.0, shutdown_grace=0.5)
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="lim", max_clicks=100)
        await add_link(stores, settings, "https://example.com/", code="free")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/lim").status_code == 302
        assert client.get("/free").status_code == 302
        private_redis.stop()
        assert client.get("/free").status_code == 302  # cached, as before
        down = client.get("/lim")
    assert down.status_code == 503
    assert "location" not in down.headers


# --- 4. the completeness marker


async def resolve_all(settings: Settings, codes: list[str], *, pool_open: bool) -> tuple[list[Resolved], ResolverStats]:
    """Resolve ``codes`` in one batch; with ``pool_open=False`` every Postgres query would fail."""
    client = create_redis(settings)
    async with open_pool(settings, min_size=1, max_size=2) as pool:
        if not pool_open:
            await pool.close()
        resolver = Resolver(
            redis=client, pool=pool, keys=Keys(settings.redis_prefix), cache_ttl=60, negative_ttl=5, max_entries=10_000
        )
        found: list[Resolved] = await asyncio.gather(*(resolver.fetch(code) for code in codes))
        await resolver.aclose()
    await client.aclose()
    return found, resolver.stats


async def test_with_redis_marked_complete_unknown_codes_never_reach_postgres(
    settings: Settings, stores: Stores
) -> None:
    await add_link(stores, settings, "https://example.com/known", code="known")
    await stores.redis.set(stores.keys.links_complete, MARKER_DONE + b"1-test")
    unknown = [f"probe{n}" for n in range(300)]

    # The pool is closed: a single read-through would fail its code with LookupFailed.
    found, stats = await resolve_all(settings, ["known", *unknown], pool_open=False)

    known = found[0]
    assert isinstance(known, responses.Redirect) and known.location == "https://example.com/known"
    assert found[1:] == [responses.NOT_FOUND] * 300
    assert (stats.read_through, stats.complete_misses) == (0, 300)


@pytest.mark.parametrize("marker", [None, MARKER_PENDING + b"1-test", b"anything else"])
async def test_without_a_finished_marker_unknown_codes_read_through(
    settings: Settings, stores: Stores, marker: bytes | None
) -> None:
    await add_link(stores, settings, "https://example.com/cold", code="cold")
    await stores.redis.delete(stores.keys.link("cold"))
    if marker is not None:
        await stores.redis.set(stores.keys.links_complete, marker)

    found, stats = await resolve_all(settings, ["cold", "nope1", "nope2"], pool_open=True)

    cold = found[0]
    assert isinstance(cold, responses.Redirect) and cold.location == "https://example.com/cold"
    assert found[1:] == [responses.NOT_FOUND] * 2
    assert (stats.read_through, stats.complete_misses) == (3, 0)


async def test_hop_sync_loads_every_servable_link_and_marks_redis_complete(settings: Settings, stores: Stores) -> None:
    codes = [f"s{n}" for n in range(5)]
    for code in codes:
        await add_link(stores, settings, f"https://example.com/{code}", code=code)
    await add_link(stores, settings, "https://example.com/off", code="off")
    await stores.pool.execute("UPDATE links SET disabled = true WHERE code = 'off'")
    await stores.redis.delete(*(stores.keys.link(code) for code in [*codes, "off"]))

    result = run_hop(settings, "sync")

    assert result.returncode == 0, result.stderr
    assert "5 servable link(s) in Redis" in result.stdout
    marker = await marker_of(stores)
    assert marker is not None and marker.startswith(MARKER_DONE)
    assert 0 < await stores.redis.ttl(stores.keys.links_complete) < await stores.redis.ttl(stores.keys.link("s0"))
    assert await stores.redis.get(stores.keys.link("off")) is None
    found, stats = await resolve_all(settings, [*codes, "off", "unknown"], pool_open=False)
    assert [r.location for r in found if isinstance(r, responses.Redirect)] == [
        f"https://example.com/{c}" for c in codes
    ]
    assert found[-2:] == [responses.NOT_FOUND] * 2
    assert stats.read_through == 0


async def test_a_write_through_failure_during_a_sync_leaves_redis_unmarked(settings: Settings, stores: Stores) -> None:
    await add_link(stores, settings, "https://example.com/", code="a")
    async with stores.pool.acquire() as locker, locker.transaction():
        # The sync's read waits behind this lock: the "failed write-through" lands in the middle of it.
        await locker.execute("LOCK TABLE links IN ACCESS EXCLUSIVE MODE")
        sync = asyncio.ensure_future(full_sync(stores.pool, stores.redis, stores.keys))
        await wait_until_async(
            lambda: marker_of(stores),
            lambda value: value is not None and value.startswith(MARKER_PENDING),
            what="the sync's pending marker",
        )
        await mark_incomplete(stores.redis, stores.keys)  # what a writer does after its write-through failed
    result = await sync

    assert (result.links, result.complete) == (1, False)
    assert await marker_of(stores) is None
    again = await full_sync(stores.pool, stores.redis, stores.keys)
    assert again.complete and 3_000 < again.marker_ttl_s < 3_600


async def test_flushall_takes_the_marker_with_the_records_so_links_read_through_again(
    settings_factory: SettingsFactory, private_redis: PrivateRedis
) -> None:
    settings = settings_factory(redis_url=private_redis.url)
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="kept")
        assert (await full_sync(stores.pool, stores.redis, stores.keys)).complete
        admin = redis.asyncio.Redis.from_url(private_redis.url)
        await admin.flushall()
        await admin.aclose()
    found, stats = await resolve_all(settings, ["kept"], pool_open=True)
    assert isinstance(found[0], responses.Redirect)
    assert stats.read_through == 1
