"""Numbered SQL migrations in common/migrations/, applied in order under an advisory lock and recorded;
a migration's step in Python (common/migration_steps.py), where it has one, runs after its SQL."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from common.db import Connection, connect_kwargs, schema_version
from common.migration_steps import STEPS
from common.settings import CoreSettings

logger = logging.getLogger("hop.migrate")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any fixed 64-bit number shared by every process that migrates; "hop" + "mig" in ASCII.
MIGRATION_LOCK_ID = 0x686F70_6D6967


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in version order. Raises ValueError on a misnamed file or a gap."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise ValueError(f"migration {migration.path.name} should be numbered {expected:04d}")
    return found


LATEST_VERSION = len(discover())


async def migrate(conn: Connection, *, schema: str, until: int | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; returns the ones applied.

    ``until`` stops after that version: a test of a data migration fills the schema as it was before.
    """
    # Session-level lock, taken first: concurrent `hop migrate` runs (several containers starting)
    # queue here, and even CREATE SCHEMA IF NOT EXISTS races without it.
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        current = await schema_version(conn)
        applied = []
        for migration in discover():
            if migration.version <= current or (until is not None and migration.version > until):
                continue
            async with conn.transaction():
                await conn.execute(migration.sql())
                step = STEPS.get(migration.version)
                if step is not None:
                    await step(conn)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version, migration.name
                )
            logger.info("migration %04d_%s applied", migration.version, migration.name)
            applied.append(migration)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)


async def migrate_database(settings: CoreSettings) -> int:
    """Bring the settings' database schema up to date; returns how many migrations were applied."""
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        applied = await migrate(conn, schema=settings.database_schema)
    finally:
        await conn.close()
    return len(applied)
