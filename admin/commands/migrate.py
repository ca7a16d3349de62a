"""`hop migrate`: bring the Postgres schema up to date."""

from __future__ import annotations

import argparse

import asyncpg

from admin.commands.common import run_async, settings_from
from admin.migrate import LATEST_VERSION, migrate
from common.db import connect_kwargs
from common.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("migrate", help="apply pending database migrations")
    parser.set_defaults(handler=handle)


async def apply_migrations(settings: Settings) -> int:
    conn = await asyncpg.connect(**connect_kwargs(settings))  # type: ignore[arg-type]
    try:
        applied = await migrate(conn, schema=settings.database_schema)
    finally:
        await conn.close()
    return len(applied)


def handle(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    count = run_async(lambda: apply_migrations(settings))
    print(f"database at schema version {LATEST_VERSION} ({count} migration(s) applied)")
    return 0
