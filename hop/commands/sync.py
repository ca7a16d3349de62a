"""`hop sync`: load every servable link into Redis and mark Redis complete (see common/linksync.py)."""

from __future__ import annotations

import argparse

from common.linksync import SyncResult, full_sync
from common.settings import CoreSettings
from common.stores import open_stores
from hop.commands.support import fail, run_async, settings_from


def configure(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=handle)


async def _sync(settings: CoreSettings) -> SyncResult:
    async with open_stores(settings, pool_size=1) as stores:
        return await full_sync(stores.pool, stores.redis, stores.keys)


def handle(args: argparse.Namespace) -> int:
    settings = settings_from(CoreSettings)
    result = run_async(lambda: _sync(settings))
    print(f"{result.links} servable link(s) in Redis")
    if not result.complete:
        return fail("Redis not marked complete: a write-through failed or another sync ran meanwhile; run again")
    print(f"Redis marked complete for {result.marker_ttl_s} s: unknown codes are 404 without Postgres")
    return 0
