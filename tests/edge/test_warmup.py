"""The cache warm-up (edge/warmup.py): which links it picks, what it caches, and a real edge that
answers its hot links from the cache from its very first request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from common.metrics import sample_value
from common.records import NEGATIVE, LinkRecord
from common.settings import Settings
from common.stores import Stores, open_stores
from edge import responses
from edge.resolver import Resolver
from edge.warmup import MGET_CHUNK, hot_links, warm_cache
from tests.conftest import ProcessFactory, SettingsFactory
from tests.ops.test_edge_metrics import scrape_until

NOW = datetime(2026, 12, 1, 12, 7, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
THIS_QUARTER = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def add_links(stores: Stores, codes: list[str], *, domain: str | None = None) -> dict[str, int]:
    """Rows in links (no Redis records): edge key -> link id."""
    if domain is not None:
        await stores.pool.execute("INSERT INTO domains (host) VALUES ($1) ON CONFLICT DO NOTHING", domain)
    rows = await stores.pool.fetch(
        """INSERT INTO links (code, target_url, domain)
           SELECT code, 'https://example.com/' || code, $2 FROM unnest($1::text[]) AS code
           RETURNING id, edge_key""",
        codes,
        domain,
    )
    return {row["edge_key"]: row["id"] for row in rows}


async def add_clicks(stores: Stores, link_id: int, clicks: int, *, bucket: datetime, is_bot: bool = False) -> None:
    """A rollup row, as the click worker writes it (adding to one that exists)."""
    await stores.pool.execute(
        """INSERT INTO click_rollups (link_id, bucket, is_bot, clicks) VALUES ($1, $2, $3, $4)
           ON CONFLICT (link_id, bucket, is_bot) DO UPDATE SET clicks = click_rollups.clicks + EXCLUDED.clicks""",
        link_id,
        bucket,
        is_bot,
        clicks,
    )


async def add_records(stores: Stores, keys: list[str]) -> None:
    await stores.redis.mset(
        {stores.keys.link(key): LinkRecord(target=f"https://example.com/{key}").encode() for key in keys}
    )


def resolver_for(stores: Stores, settings: Settings) -> Resolver:
    return Resolver(
        redis=stores.redis,
        pool=stores.pool,
        keys=stores.keys,
        cache_ttl=settings.cache_ttl,
        negative_ttl=settings.negative_ttl,
        max_entries=settings.cache_max_entries,
    )


async def test_hot_links_are_the_most_clicked_of_the_last_hour_most_first(settings: Settings) -> None:
    async with open_stores(settings) as stores:
        ids = await add_links(stores, ["top", "second", "third", "stale", "quiet"])
        ids |= await add_links(stores, ["top"], domain="go.example.org")
        await add_clicks(stores, ids["top"], 50, bucket=THIS_QUARTER)
        await add_clicks(stores, ids["top"], 40, bucket=THIS_QUARTER - 3 * QUARTER)
        # Bots are served like anyone: their clicks count too.
        await add_clicks(stores, ids["top"], 10, bucket=THIS_QUARTER, is_bot=True)
        await add_clicks(stores, ids["go.example.org/top"], 70, bucket=THIS_QUARTER - QUARTER)
        await add_clicks(stores, ids["second"], 60, bucket=THIS_QUARTER)
        await add_clicks(stores, ids["third"], 5, bucket=THIS_QUARTER - 2 * QUARTER)
        # Older than an hour: the link was hot, it is not any more.
        await add_clicks(stores, ids["stale"], 1_000, bucket=THIS_QUARTER - 5 * QUARTER)
        since = NOW - timedelta(hours=1)

        assert await hot_links(stores.pool, limit=10, since=since) == ["top", "go.example.org/top", "second", "third"]
        assert await hot_links(stores.pool, limit=2, since=since) == ["top", "go.example.org/top"]
        assert await hot_links(stores.pool, limit=10, since=NOW + QUARTER) == []


async def test_a_warm_up_caches_the_hot_links_as_a_lookup_would_and_leaves_the_rest(settings: Settings) -> None:
    async with open_stores(settings) as stores:
        # More than one MGET's worth, so the warm-up goes in chunks.
        hot = [f"h{n}" for n in range(MGET_CHUNK + 5)]
        ids = await add_links(stores, [*hot, "gone", "absent", "cold"])
        for rank, code in enumerate([*hot, "gone", "absent"]):
            await add_clicks(stores, ids[code], 10_000 - rank, bucket=THIS_QUARTER)
        await add_records(stores, [*hot, "cold"])
        await stores.redis.set(stores.keys.link("gone"), NEGATIVE)  # a tombstone: known not to redirect
        resolver = resolver_for(stores, settings)

        warm_up = await warm_cache(resolver, stores.pool, limit=10_000, now=NOW)

        assert (warm_up.hot, warm_up.cached, warm_up.complete) == (len(hot) + 2, len(hot) + 1, True)
        assert all(isinstance(resolver.cached(code), responses.Redirect) for code in hot)
        assert resolver.cached("gone") is responses.NOT_FOUND
        # Not in Redis: its first request reads it through Postgres; never hot: not loaded at all.
        assert resolver.cached("absent") is None
        assert resolver.cached("cold") is None
        # A warm-up is not a lookup: the lookup counters start at zero.
        assert (resolver.stats.batches, resolver.stats.read_through) == (0, 0)


async def test_a_warm_up_takes_at_most_limit_links(settings: Settings) -> None:
    async with open_stores(settings) as stores:
        ids = await add_links(stores, ["a", "b", "c"])
        for clicks, code in enumerate(["c", "b", "a"], start=1):
            await add_clicks(stores, ids[code], clicks, bucket=THIS_QUARTER)
        await add_records(stores, ["a", "b", "c"])
        resolver = resolver_for(stores, settings)

        warm_up = await warm_cache(resolver, stores.pool, limit=2, now=NOW)

        assert warm_up.cached == 2
        assert [code for code in "abc" if resolver.cached(code) is not None] == ["a", "b"]
        assert (await warm_cache(resolver_for(stores, settings), stores.pool, limit=0)).hot == 0


async def test_a_failed_warm_up_never_raises(settings: Settings) -> None:
    async with open_stores(settings) as stores:
        resolver = resolver_for(stores, settings)
        await stores.pool.execute("DROP TABLE click_rollups")

        warm_up = await warm_cache(resolver, stores.pool, limit=100, now=NOW)

        assert (warm_up.cached, warm_up.complete) == (0, False)
        assert len(resolver.cache) == 0


@pytest.mark.e2e
async def test_a_started_edge_answers_its_hot_links_from_the_cache_before_any_mget(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(metrics_interval=0.1)
    hot = [f"hot{n}" for n in range(20)]
    async with open_stores(settings) as stores:
        ids = await add_links(stores, [*hot, "cold"])
        now = datetime.now(UTC)
        this_quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        for code in hot:
            await add_clicks(stores, ids[code], 3, bucket=this_quarter)
        await add_records(stores, [*hot, "cold"])

    edge = edge_factory(settings, metrics=True)

    assert f"cache warm-up: {len(hot)} of {len(hot)} hot links cached" in edge.log()
    assert edge.metrics_url is not None
    async with httpx.AsyncClient(base_url=edge.url, timeout=5) as client:
        for code in hot:
            answer = await client.get(f"/{code}")
            assert (answer.status_code, answer.headers["location"]) == (302, f"https://example.com/{code}")
        text = await scrape_until(
            client,
            edge.metrics_url,
            lambda text: sample_value(text, "hop_edge_responses_total", (("status", "302"),)) >= len(hot),
            what=f"{len(hot)} redirects counted",
        )
        # Every one of the first requests was a cache hit: not one MGET went to Redis.
        assert sample_value(text, "hop_edge_cache_hits_total") == len(hot)
        assert sample_value(text, "hop_edge_redis_lookups_total") == 0
        assert sample_value(text, "hop_edge_cache_entries") == len(hot)

        # A link that was not hot is looked up as before: one MGET.
        assert (await client.get("/cold")).status_code == 302
        await scrape_until(
            client,
            edge.metrics_url,
            lambda text: sample_value(text, "hop_edge_redis_lookups_total") == 1,
            what="the cold link's MGET",
        )
