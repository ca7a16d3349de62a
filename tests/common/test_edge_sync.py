"""The edge-sync outbox (common/edge_sync.py, migration 0007): every committed link change stays
queued in Postgres until Redis has taken its record, whatever path made it and whatever failed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import pytest

from admin.links import update_link
from admin.users import create_user
from common.edge_sync import replay_pending, sync_links
from common.records import NEGATIVE, LinkRecord
from common.redis import RedisClient
from common.settings import Settings
from common.stores import Stores, open_stores
from harness.stores import PrivateRedis
from tests.conftest import SettingsFactory
from tests.helpers import add_link, wait_until_async

PASSWORD = "correct horse battery staple"


async def queued(stores: Stores) -> list[str]:
    return [row["edge_key"] for row in await stores.pool.fetch("SELECT edge_key FROM edge_sync_pending ORDER BY 1")]


async def redis_value(stores: Stores, code: str) -> bytes | None:
    # The test clients answer bytes (RESP2, no decoding).
    return cast("bytes | None", await stores.redis.get(stores.keys.link(code)))


@pytest.fixture
async def outage_stores(settings_factory: SettingsFactory, private_redis: PrivateRedis) -> AsyncIterator[Stores]:
    """Stores whose Redis is the test's own Valkey, which the test may break."""
    async with open_stores(settings_factory(redis_url=private_redis.url)) as opened:
        yield opened


async def test_a_write_through_keeps_nothing_queued(stores: Stores, settings: Settings) -> None:
    await add_link(stores, settings, "https://example.com/a", code="a")
    await update_link(
        pool=stores.pool, redis=stores.redis, keys=stores.keys, code="a", changes={"disabled": True}, principal=None
    )
    assert await queued(stores) == []
    assert await redis_value(stores, "a") == NEGATIVE


async def test_changes_that_skipped_the_write_through_are_queued_and_replayed(
    stores: Stores, settings: Settings
) -> None:
    owner = await create_user(pool=stores.pool, email="owner@example.com", password=PASSWORD)
    for code in ("upd", "gone", "owned", "limited"):
        await add_link(
            stores, settings, f"https://example.com/{code}", code=code, owner_id=owner.id if code == "owned" else None
        )
    await stores.pool.execute("UPDATE links SET max_clicks = 5 WHERE code = 'limited'")
    await replay_pending(pool=stores.pool, redis=stores.redis, keys=stores.keys, min_age_s=0)
    assert await queued(stores) == []
    # Committed by paths that never pushed (an admin killed after COMMIT, or SQL by hand):
    await stores.pool.execute("INSERT INTO links (code, target_url) VALUES ('new', 'https://example.com/new')")
    await stores.pool.execute("UPDATE links SET target_url = 'https://example.com/changed' WHERE code = 'upd'")
    await stores.pool.execute("DELETE FROM links WHERE code = 'gone'")
    await stores.pool.execute("UPDATE users SET disabled = true WHERE id = $1", owner.id)
    await stores.pool.execute("UPDATE links SET click_count = 4 WHERE code = 'limited'")  # not yet at the limit
    assert await queued(stores) == ["gone", "new", "owned", "upd"]
    await stores.pool.execute("UPDATE links SET click_count = 5 WHERE code = 'limited'")  # the worker's count
    assert await queued(stores) == ["gone", "limited", "new", "owned", "upd"]

    assert await replay_pending(pool=stores.pool, redis=stores.redis, keys=stores.keys, min_age_s=0) == 5
    assert await queued(stores) == []
    assert LinkRecord.decode(await redis_value(stores, "new") or b"").target == "https://example.com/new"
    assert LinkRecord.decode(await redis_value(stores, "upd") or b"").target == "https://example.com/changed"
    for code in ("gone", "owned", "limited"):
        assert await redis_value(stores, code) == NEGATIVE


async def test_a_refused_write_through_stays_queued_and_drops_the_completeness_marker(
    outage_stores: Stores, settings: Settings
) -> None:
    stores = outage_stores
    await add_link(stores, settings, "https://example.com/m", code="m")
    await stores.redis.set(stores.keys.links_complete, b"done:1")
    # Out of memory, Redis refuses SET but still takes DEL: the marker goes, the change waits.
    await _refuse_writes(stores.redis, refuse=True)
    await stores.pool.execute("UPDATE links SET disabled = true WHERE code = 'm'")
    assert not await sync_links(pool=stores.pool, redis=stores.redis, keys=stores.keys, edge_keys=["m"])
    assert await queued(stores) == ["m"]
    assert await stores.redis.exists(stores.keys.links_complete) == 0
    assert await redis_value(stores, "m") != NEGATIVE

    await _refuse_writes(stores.redis, refuse=False)
    assert await replay_pending(pool=stores.pool, redis=stores.redis, keys=stores.keys, min_age_s=0) == 1
    assert await queued(stores) == []
    assert await redis_value(stores, "m") == NEGATIVE


async def _refuse_writes(redis: RedisClient, *, refuse: bool) -> None:
    await redis.config_set("maxmemory-policy", "noeviction")
    await redis.config_set("maxmemory", 1 if refuse else 0)


async def test_a_change_committed_during_a_push_is_queued_again(stores: Stores, settings: Settings) -> None:
    await add_link(stores, settings, "https://example.com/r", code="r")
    await stores.pool.execute("UPDATE links SET disabled = true WHERE code = 'r'")
    async with stores.pool.acquire() as pusher, pusher.transaction():
        # A pusher holds the queued row (it has read the link and is writing to Redis)...
        assert await pusher.fetchval("SELECT edge_key FROM edge_sync_pending WHERE edge_key = 'r' FOR UPDATE") == "r"
        writer = asyncio.create_task(stores.pool.execute("UPDATE links SET disabled = false WHERE code = 'r'"))
        # ...so a writer's queueing waits for it, rather than finding the row and queueing nothing...
        await wait_until_async(lambda: _waiting_on_a_lock(stores), what="the writer waiting for the pusher")
        # ...and a second pusher skips the row instead of waiting.
        assert await sync_links(pool=stores.pool, redis=stores.redis, keys=stores.keys, edge_keys=["r"])
        await pusher.execute("DELETE FROM edge_sync_pending WHERE edge_key = 'r'")
    await writer
    # The pusher's state is older than the writer's: the row is back, for the writer's own push.
    assert await queued(stores) == ["r"]


async def _waiting_on_a_lock(stores: Stores) -> bool:
    waiting: bool = await stores.pool.fetchval(
        """SELECT count(*) > 0 FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE links SET disabled = false%'
             AND datname = current_database()"""
    )
    return waiting
