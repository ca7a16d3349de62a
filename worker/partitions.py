"""Monthly partitions of the clicks table: created ahead of need, dropped past retention."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Final

import asyncpg
import orjson

from common.db import Connection
from worker.entries import Entry, Failure

logger = logging.getLogger("hop.worker.partitions")

MONTHS_AHEAD: Final = 2  # the current month and two more always exist, so no click waits on DDL
# Any fixed number shared by every worker; "hop" + "part" in ASCII. Serialises partition DDL.
PARTITION_LOCK_ID: Final = 0x686F70_70617274
_NAME_PREFIX: Final = "clicks_"


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def oldest_kept(retention_months: int, *, today: date | None = None) -> date:
    """The first month inside the retention window (the current month counts as one)."""
    return add_months(month_start(today or datetime.now(UTC).date()), -(retention_months - 1))


def fail_expired(entries: list[Entry], *, retention_months: int, today: date | None = None) -> set[date]:
    """Turn clicks older than the retention window into failures; returns the months the rest need.

    Such a click would get a partition only for housekeeping to drop it with the click, unseen:
    recorded as failed instead, it stays visible in failed_click_entries.
    """
    first = oldest_kept(retention_months, today=today)
    months: set[date] = set()
    for entry in entries:
        kept = []
        for position, code, click in entry.clicks:
            month = month_start(click.clicked_at.date())
            if month >= first:
                months.add(month)
                kept.append((position, code, click))
                continue
            error = (
                f"click {position}: clicked at {click.clicked_at.isoformat()}, older than the retention window "
                f"(HOP_CLICK_RETENTION_MONTHS={retention_months} keeps {first.isoformat()} onwards)"
            )
            payload = orjson.dumps({"code": code, "clicked_at": click.clicked_at})
            entry.failures.append(Failure(error, payload))
        entry.clicks = kept
    return months


def partition_name(month: date) -> str:
    return f"{_NAME_PREFIX}{month.year:04d}_{month.month:02d}"


def _parse_name(name: str) -> date | None:
    try:
        year, month = name.removeprefix(_NAME_PREFIX).split("_")
        return date(int(year), int(month), 1)
    except ValueError:
        return None


class Partitions:
    """Keeps track of which monthly partitions exist, so the hot path checks a set, not Postgres."""

    def __init__(self) -> None:
        self._known: set[date] = set()

    async def ensure(self, pool: asyncpg.Pool, months: set[date]) -> None:
        """Create any of ``months`` (first days) that do not exist yet."""
        missing = months - self._known
        if not missing:
            return
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", PARTITION_LOCK_ID)
            existing = await _existing(conn)
            for month in sorted(missing - existing):
                upper = add_months(month, 1)
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF clicks "
                    f"FOR VALUES FROM ('{month.isoformat()} 00:00:00+00') TO ('{upper.isoformat()} 00:00:00+00')"
                )
                logger.info("created click partition %s", partition_name(month))
            self._known |= existing | missing

    async def ensure_ahead(self, pool: asyncpg.Pool, *, today: date | None = None) -> None:
        current = month_start(today or datetime.now(UTC).date())
        await self.ensure(pool, {add_months(current, n) for n in range(-1, MONTHS_AHEAD + 1)})

    async def drop_expired(self, pool: asyncpg.Pool, *, retention_months: int, today: date | None = None) -> list[str]:
        """Drop partitions wholly older than the retention window; returns their names.

        With retention 25 in 2026-11, months before 2024-11 are dropped (the current month counts).
        """
        first = oldest_kept(retention_months, today=today)
        dropped = []
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", PARTITION_LOCK_ID)
            for month in sorted(await _existing(conn)):
                if month < first:
                    await conn.execute(f"DROP TABLE IF EXISTS {partition_name(month)}")
                    self._known.discard(month)
                    dropped.append(partition_name(month))
        for name in dropped:
            logger.info("dropped click partition %s (retention %d months)", name, retention_months)
        return dropped


async def _existing(conn: Connection) -> set[date]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace
           WHERE p.relname = 'clicks' AND n.nspname = current_schema()"""
    )
    return {month for row in rows if (month := _parse_name(row["relname"])) is not None}
