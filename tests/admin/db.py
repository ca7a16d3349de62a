"""Direct SQL on a test's schema, from sync test code (for set-up and for checking what was stored)."""

from __future__ import annotations

import asyncpg

from common.settings import Settings
from harness.stores import run_sync


def sql(settings: Settings, query: str, *args: object) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(
            str(settings.database_url), server_settings={"search_path": settings.database_schema}
        )
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return run_sync(run())
