"""Migrations (common/migrate.py): numbered SQL files, each applied once per schema, even by racing processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from common.migrate import LATEST_VERSION, discover, migrate
from common.settings import Settings


async def test_migrations_are_recorded_and_rerunning_applies_nothing(settings: Settings) -> None:
    conn = await asyncpg.connect(str(settings.database_url))
    try:
        assert await migrate(conn, schema=settings.database_schema) == []
        versions = await conn.fetch(f'SELECT version FROM "{settings.database_schema}".schema_migrations ORDER BY 1')
        assert [row["version"] for row in versions] == list(range(1, LATEST_VERSION + 1))
    finally:
        await conn.close()


async def test_concurrent_migrations_apply_each_file_once(settings: Settings) -> None:
    schema = f"{settings.database_schema}_fresh"

    async def run() -> int:
        conn = await asyncpg.connect(str(settings.database_url))
        try:
            return len(await migrate(conn, schema=schema))
        finally:
            await conn.close()

    try:
        applied = await asyncio.gather(*(run() for _ in range(4)))
        assert sorted(applied) == [0, 0, 0, LATEST_VERSION]
    finally:
        conn = await asyncpg.connect(str(settings.database_url))
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


def test_a_gap_in_numbering_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    (tmp_path / "0003_c.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="should be numbered 0002"):
        discover(tmp_path)


def test_a_misnamed_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_a.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match=r"NNNN_name\.sql"):
        discover(tmp_path)
