"""The resolver's batching against a real Redis: what one round trip carries."""

from __future__ import annotations

import asyncio

import redis.asyncio

from common.db import open_pool
from common.records import Keys, LinkRecord
from common.redis import create_redis
from edge import responses
from edge.resolver import Resolved, Resolver
from harness.stores import PrivateRedis
from tests.conftest import SettingsFactory
from tests.helpers import wait_until_in_loop


async def test_misses_arriving_while_an_mget_is_out_wait_and_share_the_next_one(
    settings_factory: SettingsFactory, private_redis: PrivateRedis
) -> None:
    settings = settings_factory(redis_url=private_redis.url)
    keys = Keys(settings.redis_prefix)
    admin = redis.asyncio.Redis.from_url(private_redis.url)
    codes = [f"w{n}" for n in range(500)]
    await admin.mset({keys.link(code): LinkRecord(target=f"https://e.com/{code}").encode() for code in codes})
    client = create_redis(settings)
    async with open_pool(settings, min_size=1, max_size=2) as pool:
        resolver = Resolver(redis=client, pool=pool, keys=keys, cache_ttl=60, negative_ttl=5, max_entries=10_000)
        # Hold every client's commands for 300 ms: the first wave's MGET stays out while nine more waves arrive.
        await admin.client_pause(300, all=True)
        waves = [[asyncio.ensure_future(resolver.fetch(code)) for code in codes[:50]]]
        await wait_until_in_loop(
            lambda: resolver.stats.batches, lambda batches: batches == 1, what="the first wave's MGET"
        )
        for wave in range(1, 10):
            waves.append([asyncio.ensure_future(resolver.fetch(code)) for code in codes[wave * 50 : (wave + 1) * 50]])
            await asyncio.sleep(0)  # this wave's lookups join the queue before the next wave arrives
        assert resolver.stats.batches == 1  # all nine waves are waiting behind the first MGET
        found: list[Resolved] = await asyncio.gather(*(future for wave in waves for future in wave))
        await resolver.aclose()
    await client.aclose()
    await admin.aclose()

    locations = [response.location for response in found if isinstance(response, responses.Redirect)]
    assert locations == [f"https://e.com/{c}" for c in codes]
    assert resolver.stats.batches == 2
    assert resolver.stats.batch_codes == 500
