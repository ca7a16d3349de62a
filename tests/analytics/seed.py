"""Clicks at chosen instants, applied through the real worker (streams -> burst drain)."""

from __future__ import annotations

from datetime import datetime

from common.records import Click
from common.settings import Settings
from common.stores import Stores
from harness.clicks import xadd_batch
from worker import Worker, open_worker_pool
from worker.metrics import new_worker_metrics

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


async def apply_clicks(
    stores: Stores,
    settings: Settings,
    code: str,
    instants: list[datetime],
    *,
    ip: str = "198.51.100.1",
    agent: str = CHROME,
    referrer: str = "",
    country: str = "",
    route: str = "",
) -> None:
    """The clicks (with ``route``, the seventh field a routed link's clicks carry, when given) in one stream
    entry, applied by a worker in burst mode."""
    clicks: list[Click] = [
        (ms(at), code, ip, agent, referrer, country, route) if route else (ms(at), code, ip, agent, referrer, country)
        for at in instants
    ]
    await xadd_batch(stores.redis, stores.keys, 0, clicks)
    # What `hop worker --burst` does, on the test's Redis and a pool like the worker's own.
    async with open_worker_pool(settings) as pool:
        await Worker(settings, pool=pool, redis=stores.redis, metrics=new_worker_metrics(), burst=True).run()
