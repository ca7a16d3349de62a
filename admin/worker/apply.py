"""One Postgres transaction per group of stream entries: the heart of exactly-once counting.

Inside one transaction: lock and check the shard's cursor, drop batches already applied (by
batch id), COPY the click rows, upsert the hourly rollups and the daily visitor set, add to the
links' click_count, record poison entries, and move the cursor. Either all of it commits or
none of it does, so after a crash at any instant the cursor says exactly what was counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

import asyncpg

from admin.worker.entries import Entry

CLICK_COLUMNS: Final = (
    "link_id",
    "clicked_at",
    "shard",
    "stream_id",
    "position",
    "ip",
    "ip_prefix",
    "visitor_hash",
    "country",
    "city",
    "referrer",
    "referrer_host",
    "browser",
    "os",
    "device",
    "is_bot",
    "user_agent",
)


def stream_id_key(stream_id: str) -> tuple[int, int]:
    """``"1700000000000-5"`` -> ``(1700000000000, 5)``: stream IDs compare as number pairs, not text."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def after(stream_id: str, cursor: str) -> bool:
    return stream_id_key(stream_id) > stream_id_key(cursor)


class CursorMoved(Exception):
    """Another worker applied entries of this shard since we read its cursor; re-read it."""

    def __init__(self, *, shard: int, expected: str, found: str | None) -> None:
        super().__init__(f"cursor of shard {shard} is {found}, expected {expected}")
        self.found = found


@dataclass(slots=True)
class Applied:
    """What one transaction did."""

    last_id: str
    clicks: int = 0
    duplicate_batches: int = 0
    unknown_links: int = 0
    failed: int = 0
    oldest_ms: int | None = None  # epoch ms of the oldest click applied, for the lag statistic
    exhausted_codes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Rollups:
    clicks: Counter[tuple[int, datetime, bool]] = field(default_factory=Counter)
    visitors: Counter[tuple[int, datetime, bool]] = field(default_factory=Counter)
    dimensions: Counter[tuple[int, str, datetime, bool, str]] = field(default_factory=Counter)
    links: Counter[int] = field(default_factory=Counter)


async def apply_entries(conn: asyncpg.Connection, *, shard: int, expected_cursor: str, entries: list[Entry]) -> Applied:
    """Apply ``entries`` (in stream order) of ``shard`` whose cursor must be ``expected_cursor``.

    Raises:
        CursorMoved: the stored cursor is not ``expected_cursor`` (nothing was written).
        asyncpg.PostgresError: the transaction was rolled back; the caller retries or bisects.
    """
    async with conn.transaction():
        found = await conn.fetchval("SELECT last_id FROM stream_cursors WHERE shard = $1 FOR UPDATE", shard)
        if found != expected_cursor:
            raise CursorMoved(shard=shard, expected=expected_cursor, found=found)
        # Whatever the caller read, only entries after the stored cursor are applied: a read that
        # started behind it (a retry after a lost connection) cannot count anything twice.
        entries = [entry for entry in entries if after(entry.stream_id, found)]
        if not entries:
            return Applied(last_id=found)
        result = Applied(last_id=entries[-1].stream_id)
        fresh = await _fresh_entries(conn, entries)
        result.duplicate_batches = len(entries) - len(fresh)
        links = await _lock_links(conn, {code for entry in fresh for _, code, _ in entry.clicks})
        rows, visits = _click_rows(shard, fresh, links)
        result.clicks = len(rows)
        if rows:
            result.oldest_ms = int(min(row[1] for row in rows).timestamp() * 1000)  # type: ignore[attr-defined]
        result.unknown_links = sum(len(entry.clicks) for entry in fresh) - len(rows)
        if rows:
            await conn.copy_records_to_table("clicks", records=rows, columns=CLICK_COLUMNS)
            new_visitors = await _new_visitors(conn, visits)
            rollups = _rollups(rows, new_visitors)
            await _upsert_rollups(conn, rollups)
            result.exhausted_codes = await _count_links(conn, rollups.links)
        result.failed = await _record_failures(conn, shard, entries)
        await conn.execute(
            "UPDATE stream_cursors SET last_id = $2, applied = applied + $3, updated_at = now() WHERE shard = $1",
            shard,
            result.last_id,
            result.clicks,
        )
    return result


async def _fresh_entries(conn: asyncpg.Connection, entries: list[Entry]) -> list[Entry]:
    """The entries whose batch id has not been applied before (by any shard); records the new ids."""
    # Sorted, so two workers inserting the same ids (a re-sent batch on two shards) lock them in one order.
    ids = sorted({entry.batch_id for entry in entries if entry.batch_id is not None})
    new = set()
    if ids:
        new = {
            row[0]
            for row in await conn.fetch(
                "INSERT INTO applied_batches (batch_id) SELECT unnest($1::text[]) "
                "ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id",
                ids,
            )
        }
    fresh = []
    for entry in entries:
        if entry.batch_id is None:
            fresh.append(entry)  # an entry without an id cannot be deduplicated; count it
        elif entry.batch_id in new:
            new.discard(entry.batch_id)  # a second copy in this very read is a duplicate too
            fresh.append(entry)
    return fresh


async def _lock_links(conn: asyncpg.Connection, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    # Rows are locked in id order, so two workers adding to the same links cannot deadlock, and the
    # rollup rows (all keyed by link) are only ever contended behind these locks.
    rows = await conn.fetch(
        "SELECT id, code FROM links WHERE code = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE", list(codes)
    )
    return {row["code"]: row["id"] for row in rows}


def _click_rows(
    shard: int, entries: list[Entry], links: dict[str, int]
) -> tuple[list[tuple[object, ...]], list[tuple[int, date, bytes]]]:
    rows: list[tuple[object, ...]] = []
    visits: list[tuple[int, date, bytes]] = []
    for entry in entries:
        stream_id = entry.stream_id
        for position, code, click in entry.clicks:
            link_id = links.get(code)
            if link_id is None:
                continue  # the link was deleted after the redirect was served
            agent = click.agent
            rows.append(
                (
                    link_id,
                    click.clicked_at,
                    shard,
                    stream_id,
                    position,
                    click.ip,
                    click.ip_prefix,
                    click.visitor_hash,
                    click.country,
                    click.city,
                    click.referrer,
                    click.referrer_host,
                    agent.browser,
                    agent.os,
                    agent.device,
                    agent.is_bot,
                    click.user_agent,
                )
            )
            visits.append((link_id, click.day, click.visitor_hash))
    return rows, visits


Visit = tuple[int, date, bytes]


async def _new_visitors(conn: asyncpg.Connection, visits: list[Visit]) -> set[Visit]:
    unique = sorted(set(visits))
    rows = await conn.fetch(
        """INSERT INTO link_visitors (link_id, day, visitor_hash)
           SELECT * FROM unnest($1::bigint[], $2::date[], $3::bytea[])
           ON CONFLICT DO NOTHING RETURNING link_id, day, visitor_hash""",
        [visit[0] for visit in unique],
        [visit[1] for visit in unique],
        [visit[2] for visit in unique],
    )
    return {(row[0], row[1], row[2]) for row in rows}


def _rollups(rows: list[tuple[object, ...]], new_visitors: set[tuple[int, date, bytes]]) -> _Rollups:
    rollups = _Rollups()
    hours: dict[int, datetime] = {}
    # Clicks sharing link, hour and every dimension are counted together first: one Counter
    # update per click instead of one per dimension (this loop is the worker's hottest).
    combos: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        link_id: int = row[0]  # type: ignore[assignment]
        clicked_at: datetime = row[1]  # type: ignore[assignment]
        hour_number = int(clicked_at.timestamp()) // 3600
        hour = hours.get(hour_number)
        if hour is None:
            hour = hours[hour_number] = clicked_at.replace(minute=0, second=0, microsecond=0)
        is_bot = row[15]
        combos[(link_id, hour, is_bot, row[8], row[9], row[11], row[12], row[13], row[14])] += 1
        if new_visitors:
            visit = (link_id, clicked_at.date(), row[7])
            if visit in new_visitors:
                new_visitors.discard(visit)  # the visitor's first click of the day counts, once
                rollups.visitors[(link_id, hour, is_bot)] += 1  # type: ignore[index]
    dims = rollups.dimensions
    for (link_id, hour, is_bot, country, city, host, browser, os_name, device), count in combos.items():
        rollups.clicks[(link_id, hour, is_bot)] += count
        rollups.links[link_id] += count
        dims[(link_id, "country", hour, is_bot, country)] += count
        dims[(link_id, "city", hour, is_bot, f"{country}|{city}" if city else "")] += count
        dims[(link_id, "referrer", hour, is_bot, host)] += count
        dims[(link_id, "browser", hour, is_bot, browser)] += count
        dims[(link_id, "os", hour, is_bot, os_name)] += count
        dims[(link_id, "device", hour, is_bot, device)] += count
    return rollups


async def _upsert_rollups(conn: asyncpg.Connection, rollups: _Rollups) -> None:
    keys = sorted(rollups.clicks)
    await conn.execute(
        """INSERT INTO click_rollups (link_id, hour, is_bot, clicks, visitors)
           SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::boolean[], $4::bigint[], $5::bigint[])
           ON CONFLICT (link_id, hour, is_bot) DO UPDATE
           SET clicks = click_rollups.clicks + EXCLUDED.clicks,
               visitors = click_rollups.visitors + EXCLUDED.visitors""",
        [key[0] for key in keys],
        [key[1] for key in keys],
        [key[2] for key in keys],
        [rollups.clicks[key] for key in keys],
        [rollups.visitors.get(key, 0) for key in keys],
    )
    dims = sorted(rollups.dimensions)
    await conn.execute(
        """INSERT INTO click_dimension_rollups (link_id, dimension, hour, is_bot, value, clicks)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::boolean[], $5::text[], $6::bigint[])
           ON CONFLICT (link_id, dimension, hour, is_bot, value) DO UPDATE
           SET clicks = click_dimension_rollups.clicks + EXCLUDED.clicks""",
        [key[0] for key in dims],
        [key[1] for key in dims],
        [key[2] for key in dims],
        [key[3] for key in dims],
        [key[4] for key in dims],
        [rollups.dimensions[key] for key in dims],
    )


async def _count_links(conn: asyncpg.Connection, counts: Counter[int]) -> list[str]:
    """Add the clicks to links.click_count; returns codes this batch took to their max_clicks."""
    ids = sorted(counts)
    rows = await conn.fetch(
        """UPDATE links SET click_count = links.click_count + v.n
           FROM unnest($1::bigint[], $2::bigint[]) AS v(id, n)
           WHERE links.id = v.id
           RETURNING links.code, links.click_count, links.max_clicks, v.n""",
        ids,
        [counts[link_id] for link_id in ids],
    )
    return [
        row["code"]
        for row in rows
        if row["max_clicks"] is not None and row["click_count"] - row["n"] < row["max_clicks"] <= row["click_count"]
    ]


async def _record_failures(conn: asyncpg.Connection, shard: int, entries: list[Entry]) -> int:
    failed = [(shard, entry.stream_id, entry.batch_id, f.error, f.payload) for entry in entries for f in entry.failures]
    if failed:
        await conn.executemany(
            "INSERT INTO failed_click_entries (shard, stream_id, batch_id, error, payload) VALUES ($1, $2, $3, $4, $5)",
            failed,
        )
    return len(failed)


async def record_poison(
    conn: asyncpg.Connection, *, shard: int, expected_cursor: str, entry: Entry, error: str
) -> None:
    """Skip an entry Postgres refuses even on its own: record it as failed and move the cursor past it.

    Raises CursorMoved like ``apply_entries``.
    """
    async with conn.transaction():
        found = await conn.fetchval("SELECT last_id FROM stream_cursors WHERE shard = $1 FOR UPDATE", shard)
        if found != expected_cursor:
            raise CursorMoved(shard=shard, expected=expected_cursor, found=found)
        if not after(entry.stream_id, found):
            return
        await conn.execute(
            "INSERT INTO failed_click_entries (shard, stream_id, batch_id, error, payload) VALUES ($1, $2, $3, $4, $5)",
            shard,
            entry.stream_id,
            entry.batch_id,
            f"rejected by postgres: {error}"[:2000],
            entry.raw,
        )
        await conn.execute(
            "UPDATE stream_cursors SET last_id = $2, updated_at = now() WHERE shard = $1", shard, entry.stream_id
        )
