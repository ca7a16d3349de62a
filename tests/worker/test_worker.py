"""The worker against real Redis and Postgres, in process, in burst mode."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast

import asyncpg
import pytest

from common.metrics import sample_value
from common.records import NEGATIVE, STREAM_FIELD_BATCH, STREAM_FIELD_ID, Click
from common.redis import RedisClient
from common.settings import Settings
from common.stores import Stores, open_stores
from common.visitors import VisitorCount
from harness.clicks import xadd_batch
from tests.conftest import SettingsFactory
from tests.helpers import add_link
from worker import Worker, WorkerStats, open_worker_pool
from worker.metrics import WorkerMetrics, new_worker_metrics
from worker.partitions import Partitions, add_months, month_start, partition_name

Drain = Callable[[], Awaitable[int]]
StreamItems = list[tuple[bytes, dict[bytes, bytes]]]

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def click(code: str, *, ms: int | None = None, ip: str = "198.51.100.7", ua: str = CHROME, ref: str = "") -> Click:
    return (ms or now_ms(), code, ip, ua, ref, "")


async def run_burst(
    settings: Settings, *, pool: asyncpg.Pool, redis: RedisClient, metrics: WorkerMetrics | None = None
) -> WorkerStats:
    """What `hop worker --burst` does, on the given stores (with metrics of its own by default)."""
    worker = Worker(settings, pool=pool, redis=redis, metrics=metrics or new_worker_metrics(), burst=True)
    return await worker.run()


@pytest.fixture
def metrics() -> WorkerMetrics:
    return new_worker_metrics()


@pytest.fixture
def drain(settings: Settings, stores: Stores, worker_pool: asyncpg.Pool, metrics: WorkerMetrics) -> Drain:
    """Applies everything in the test's streams with a burst worker; returns the clicks applied."""

    async def run() -> int:
        return (await run_burst(settings, pool=worker_pool, redis=stores.redis, metrics=metrics)).clicks

    return run


async def stream_items(redis: RedisClient, stream: str) -> StreamItems:
    # XRANGE as the worker reads it: the test clients answer bytes (RESP2).
    return cast(StreamItems, await redis.xrange(stream))


async def test_applies_batches_from_every_shard_with_rollups_and_counts(
    stores: Stores, settings: Settings, drain: Drain, metrics: WorkerMetrics
) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    await add_link(stores, settings, "https://example.com/b", code="b")
    for shard in range(settings.click_shards):
        await xadd_batch(stores.redis, stores.keys, shard, [click("a"), click("b", ua=GOOGLEBOT), click("a")])
    assert await drain() == 3 * settings.click_shards
    rows = await stores.pool.fetch("SELECT code, click_count, bot_clicks FROM links")
    counts = {row["code"]: (row["click_count"], row["bot_clicks"]) for row in rows}
    # click_count counts every click; bot_clicks the bots' share of it (Googlebot's).
    assert counts == {"a": (2 * settings.click_shards, 0), "b": (settings.click_shards, settings.click_shards)}
    assert await stores.pool.fetchval("SELECT count(*) FROM clicks") == 3 * settings.click_shards
    assert await stores.pool.fetchval("SELECT sum(clicks) FROM click_rollups") == 3 * settings.click_shards
    bots = await stores.pool.fetchval("SELECT sum(clicks) FROM click_rollups WHERE is_bot")
    assert bots == settings.click_shards
    # One visitor (same IP and agent) per link, however many clicks on however many shards.
    sketches = await stores.pool.fetch("SELECT link_id, visitor_sketch FROM click_rollups")
    assert len({row["link_id"] for row in sketches}) == 2
    assert VisitorCount().add_all(row["visitor_sketch"] for row in sketches).estimate == 2
    browsers = {
        row["value"]: row["sum"]
        for row in await stores.pool.fetch(
            "SELECT value, sum(clicks) FROM click_dimension_rollups WHERE dimension = 'browser' GROUP BY value"
        )
    }
    assert browsers == {"Chrome": 2 * settings.click_shards, "Googlebot": settings.click_shards}
    # Applied entries are trimmed from the streams.
    for shard in range(settings.click_shards):
        assert await stores.redis.xlen(stores.keys.clicks_stream(shard)) == 0
    # The worker's series, in the registry this test gave it.
    text = metrics.render().decode()
    assert sample_value(text, "hop_worker_clicks_applied_total") == 3 * settings.click_shards
    assert sample_value(text, "hop_worker_entries_failed_total") == 0


async def test_a_re_sent_batch_is_counted_once_even_on_another_shard(
    stores: Stores, settings: Settings, drain: Drain
) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    batch = await xadd_batch(stores.redis, stores.keys, 0, [click("a"), click("a")])
    await xadd_batch(stores.redis, stores.keys, 0, [click("a"), click("a")], batch=batch)
    await xadd_batch(stores.redis, stores.keys, 1, [click("a"), click("a")], batch=batch)
    assert await drain() == 2
    # ...also when the copy arrives after the original was applied.
    await xadd_batch(stores.redis, stores.keys, 2, [click("a"), click("a")], batch=batch)
    assert await drain() == 0
    assert await stores.pool.fetchval("SELECT click_count FROM links WHERE code = 'a'") == 2


async def test_orphan_visits_in_a_batch_are_stored_once_by_kind_beside_its_clicks(
    stores: Stores, settings: Settings, worker_pool: asyncpg.Pool
) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    visits = [click("/"), click("/gone"), click("/wp-login.php", ua=GOOGLEBOT), click("/a/b")]
    batch = await xadd_batch(stores.redis, stores.keys, 0, [click("a"), *visits, click("deleted")])
    await xadd_batch(stores.redis, stores.keys, 1, [click("a"), *visits, click("deleted")], batch=batch)

    stats = await run_burst(settings, pool=worker_pool, redis=stores.redis)

    assert (stats.clicks, stats.orphan_visits, stats.unknown_links) == (1, 4, 1)
    rows = await stores.pool.fetch("SELECT kind, path, is_bot, browser FROM orphan_visits ORDER BY position")
    assert [(row["kind"], row["path"], row["is_bot"]) for row in rows] == [
        ("base_url", "/", False),
        ("invalid_short_url", "/gone", False),
        ("regular_404", "/wp-login.php", True),
        ("regular_404", "/a/b", False),
    ]
    assert rows[0]["browser"] == "Chrome"  # enriched as clicks are
    assert await stores.pool.fetchval("SELECT click_count FROM links WHERE code = 'a'") == 1


async def test_resumes_after_the_stored_cursor(stores: Stores, settings: Settings, drain: Drain) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    await xadd_batch(stores.redis, stores.keys, 0, [click("a")])
    assert await drain() == 1
    # A crash after COMMIT but before XTRIM leaves applied entries in the stream: the cursor skips them.
    stream = stores.keys.clicks_stream(0)
    await xadd_batch(stores.redis, stores.keys, 0, [click("a"), click("a")])
    await xadd_batch(stores.redis, stores.keys, 0, [click("a")])
    (first_id, _), _ = await stream_items(stores.redis, stream)
    await stores.pool.execute("UPDATE stream_cursors SET last_id = $1 WHERE shard = 0", first_id.decode())
    assert await drain() == 1
    assert await stores.pool.fetchval("SELECT click_count FROM links WHERE code = 'a'") == 2
    assert await stores.redis.xlen(stream) == 0


async def test_poison_entries_are_recorded_and_do_not_stop_the_loop(
    stores: Stores, settings: Settings, drain: Drain
) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    stream = stores.keys.clicks_stream(0)
    await stores.redis.xadd(stream, {STREAM_FIELD_ID: b"bad:1", STREAM_FIELD_BATCH: b"not json"})
    await stores.redis.xadd(stream, {b"unexpected": b"field"})
    await xadd_batch(stores.redis, stores.keys, 0, [click("a"), [1, 2], click("a", ua="nul\x00agent")])  # type: ignore[list-item]  # a malformed click, on purpose
    assert await drain() == 2
    errors = [row["error"] for row in await stores.pool.fetch("SELECT error FROM failed_click_entries ORDER BY id")]
    assert len(errors) == 3
    assert "undecodable" in errors[0]
    assert "no click batch" in errors[1]
    assert errors[2].startswith("click 1:")


async def test_clicks_of_deleted_links_are_skipped(stores: Stores, settings: Settings, drain: Drain) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    await xadd_batch(stores.redis, stores.keys, 0, [click("a"), click("gone")])
    assert await drain() == 1


async def test_reaching_max_clicks_tombstones_the_link_at_the_edge(
    stores: Stores, settings: Settings, drain: Drain
) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a", max_clicks=3)
    await xadd_batch(stores.redis, stores.keys, 0, [click("a"), click("a")])
    await drain()
    assert await stores.redis.get(stores.keys.link("a")) != NEGATIVE
    await xadd_batch(stores.redis, stores.keys, 0, [click("a"), click("a")])
    await drain()
    assert await stores.redis.get(stores.keys.link("a")) == NEGATIVE


async def test_privacy_truncated_ip_and_daily_visitor_hash(stores: Stores, settings: Settings, drain: Drain) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    day1 = int(datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp() * 1000)
    day2 = day1 + 86_400_000
    await xadd_batch(
        stores.redis,
        stores.keys,
        0,
        [
            click("a", ms=day1, ip="203.0.113.77"),
            click("a", ms=day2, ip="203.0.113.77"),
            click("a", ip="2001:db8:1:2::5"),
        ],
    )
    await drain()
    rows = await stores.pool.fetch("SELECT ip, ip_prefix::text, visitor_hash FROM clicks ORDER BY clicked_at")
    assert [row["ip"] for row in rows] == [None, None, None]
    assert [row["ip_prefix"] for row in rows] == ["203.0.113.0/24", "203.0.113.0/24", "2001:db8:1::/48"]
    assert rows[0]["visitor_hash"] != rows[1]["visitor_hash"]  # a new salt every UTC day


async def test_full_ip_is_kept_only_when_configured(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(store_full_ip=True)
    async with open_stores(settings) as own, open_worker_pool(settings) as pool:
        await add_link(own, settings, "https://example.com/a", code="a")
        await xadd_batch(own.redis, own.keys, 0, [click("a", ip="203.0.113.77")])
        await run_burst(settings, pool=pool, redis=own.redis)
        assert await own.pool.fetchval("SELECT host(ip) FROM clicks") == "203.0.113.77"


async def test_partitions_are_created_ahead_and_dropped_past_retention(stores: Stores) -> None:
    partitions = Partitions()
    await partitions.ensure(stores.pool, {date(2020, 1, 1), date(2020, 2, 1)})
    await partitions.ensure_ahead(stores.pool, today=date(2026, 11, 23))
    names = {
        row[0]
        for row in await stores.pool.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
        )
    }
    assert {partition_name(date(2026, m, 1)) for m in (10, 11, 12)} | {"clicks_2027_01"} <= names
    dropped = await partitions.drop_expired(stores.pool, retention_months=25, today=date(2026, 11, 23))
    assert dropped == ["clicks_2020_01", "clicks_2020_02"]


@pytest.mark.parametrize("burst", [True])
async def test_sigterm_style_stop_finishes_cleanly(
    stores: Stores, settings: Settings, worker_pool: asyncpg.Pool, burst: bool
) -> None:
    worker = Worker(settings, pool=worker_pool, redis=stores.redis, metrics=new_worker_metrics(), burst=burst)
    worker.stop()
    stats = await worker.run()
    assert stats.clicks == 0


async def test_geoip_database_from_settings_fills_country_and_city(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    from tests.geo import write_city_db

    settings = settings_factory(geoip_db=write_city_db(tmp_path / "city.mmdb"))
    async with open_stores(settings) as own, open_worker_pool(settings) as pool:
        await add_link(own, settings, "https://example.com/a", code="a")
        await xadd_batch(own.redis, own.keys, 0, [click("a", ip="81.2.69.160"), click("a", ip="198.51.100.1")])
        await run_burst(settings, pool=pool, redis=own.redis)
        rows = await own.pool.fetch("SELECT country, city FROM clicks ORDER BY city DESC")
        assert [tuple(row) for row in rows] == [("GB", "London"), ("", "")]


async def test_an_entry_postgres_rejects_is_isolated_and_the_rest_applied(
    stores: Stores, settings: Settings, drain: Drain
) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    # A real rejection by Postgres: a constraint this test adds, violated by one click of one entry.
    await stores.pool.execute("ALTER TABLE clicks ADD CONSTRAINT no_poison CHECK (referrer <> 'https://poison/')")
    await xadd_batch(stores.redis, stores.keys, 0, [click("a")])
    await xadd_batch(stores.redis, stores.keys, 0, [click("a"), click("a", ref="https://poison/")])
    await xadd_batch(stores.redis, stores.keys, 0, [click("a"), click("a")])
    assert await drain() == 3
    failed = await stores.pool.fetch("SELECT error, payload FROM failed_click_entries")
    assert len(failed) == 1
    assert failed[0]["error"].startswith("rejected by postgres")
    assert b"https://poison/" in failed[0]["payload"]
    assert await stores.pool.fetchval("SELECT click_count FROM links WHERE code = 'a'") == 3
    assert await stores.redis.xlen(stores.keys.clicks_stream(0)) == 0


async def test_housekeeping_prunes_old_batch_ids(stores: Stores, settings: Settings, drain: Drain) -> None:
    await stores.pool.execute(
        "INSERT INTO applied_batches (batch_id, applied_at) VALUES ('old', now() - interval '2 days'), ('new', now())"
    )
    await drain()  # housekeeping runs when a worker starts, then every few minutes
    assert [r[0] for r in await stores.pool.fetch("SELECT batch_id FROM applied_batches")] == ["new"]


async def test_housekeeping_deletes_orphan_visits_past_the_click_retention(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(click_retention_months=2)  # this month and the one before
    first_kept = "date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 month'"
    async with open_stores(settings) as own, open_worker_pool(settings) as pool:
        await own.pool.execute(
            f"""INSERT INTO orphan_visits (visited_at, kind, path, shard, stream_id, position, visitor_hash)
                VALUES ({first_kept} - interval '1 second', 'base_url', '/old', 0, '1-0', 0, ''),
                       ({first_kept}, 'base_url', '/kept', 0, '2-0', 0, '')"""
        )
        await run_burst(settings, pool=pool, redis=own.redis)  # housekeeping runs when a worker starts
        assert [row["path"] for row in await own.pool.fetch("SELECT path FROM orphan_visits")] == ["/kept"]


async def test_entries_at_or_before_the_cursor_are_never_applied_again(
    stores: Stores, settings: Settings, drain: Drain, worker_pool: asyncpg.Pool
) -> None:
    from worker.apply import apply_entries
    from worker.enrich import Enricher
    from worker.entries import read_entry

    await add_link(stores, settings, "https://example.com/a", code="a")
    await drain()  # creates the cursor rows and this month's partition
    await xadd_batch(stores.redis, stores.keys, 0, [click("a")])
    await xadd_batch(stores.redis, stores.keys, 0, [click("a")])
    items = await stream_items(stores.redis, stores.keys.clicks_stream(0))
    enricher = Enricher(salt_secret="s" * 16)
    entries = [read_entry(stream_id, fields, enricher) for stream_id, fields in items]
    await stores.pool.execute("UPDATE stream_cursors SET last_id = $1 WHERE shard = 0", entries[0].stream_id)
    # A read that started behind the stored cursor (e.g. a retry after a lost connection).
    async with worker_pool.acquire() as conn:
        applied = await apply_entries(conn, shard=0, expected_cursor=entries[0].stream_id, entries=entries)
        assert (applied.clicks, applied.last_id) == (1, entries[1].stream_id)
        again = await apply_entries(conn, shard=0, expected_cursor=entries[1].stream_id, entries=entries)
        assert (again.clicks, again.last_id) == (0, entries[1].stream_id)
    assert await stores.pool.fetchval("SELECT click_count FROM links WHERE code = 'a'") == 1


async def test_the_worker_replays_link_changes_that_never_reached_redis(
    stores: Stores, settings: Settings, drain: Drain
) -> None:
    await add_link(stores, settings, "https://example.com/q", code="q")
    # Disabled a minute ago by a writer whose write-through never ran (Redis down, or killed after COMMIT).
    await stores.pool.execute("UPDATE links SET disabled = true WHERE code = 'q'")
    await stores.pool.execute("UPDATE edge_sync_pending SET queued_at = now() - interval '1 minute'")
    assert await stores.redis.get(stores.keys.link("q")) != NEGATIVE
    await drain()
    assert await stores.redis.get(stores.keys.link("q")) == NEGATIVE
    assert await stores.pool.fetchval("SELECT count(*) FROM edge_sync_pending") == 0


def _mid_month_ms(months_from_now: int) -> int:
    """Noon on the 15th, ``months_from_now`` calendar months from the current UTC month."""
    month = add_months(month_start(datetime.now(UTC).date()), months_from_now)
    return int(datetime(month.year, month.month, 15, 12, tzinfo=UTC).timestamp() * 1000)


async def test_clicks_of_any_month_within_retention_get_their_partition_and_older_ones_fail(
    stores: Stores, settings: Settings, drain: Drain
) -> None:
    # A click buffered across a month boundary, an import with history, a clock running ahead:
    # each needs a partition the housekeeping never created.
    await add_link(stores, settings, "https://example.com/a", code="a")
    expired = -settings.click_retention_months
    clicks = [click("a", ms=_mid_month_ms(months)) for months in (-14, -3, 1, expired)]
    await xadd_batch(stores.redis, stores.keys, 0, clicks)
    assert await drain() == 3
    assert await stores.pool.fetchval("SELECT click_count FROM links WHERE code = 'a'") == 3
    assert await stores.pool.fetchval("SELECT count(*) FROM clicks") == 3
    assert await stores.pool.fetchval("SELECT sum(clicks) FROM click_rollups") == 3
    errors = await stores.pool.fetch("SELECT error FROM failed_click_entries")
    assert len(errors) == 1
    assert errors[0]["error"].startswith("click 3: clicked at ")
    assert "older than the retention window" in errors[0]["error"]
    # No partition is created only to be dropped by the next housekeeping.
    old = partition_name(add_months(month_start(datetime.now(UTC).date()), expired))
    assert await stores.pool.fetchval("SELECT to_regclass($1)", old) is None
