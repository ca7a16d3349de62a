"""Orphan visits as the worker stores them: the clicks of a batch whose code is a request path
(edge/orphans.py), kept in orphan_visits in the transaction that applies the batch's clicks, so
they share its exactly-once guarantee (batch ids, the cursor)."""

from __future__ import annotations

from datetime import datetime
from typing import Final, NamedTuple

import asyncpg

from common.records import CODE_RE, ORPHAN_PREFIX, OrphanKind, is_orphan
from worker.entries import Entry


class OrphanRow(NamedTuple):
    """One row of orphan_visits, fields in COPY's column order."""

    visited_at: datetime
    kind: OrphanKind
    path: str
    shard: int
    stream_id: str
    position: int
    ip: bytes | None
    ip_prefix: bytes | None
    visitor_hash: bytes
    country: str
    city: str
    referrer: str
    referrer_host: str
    browser: str
    os: str
    device: str
    is_bot: bool
    user_agent: str
    domain: str


ORPHAN_COLUMNS: Final = OrphanRow._fields


def orphan_kind(path: str) -> OrphanKind:
    """What the visitor asked for, as Shlink names it: the bare domain, one segment shaped like a
    code that the edge does not serve (unknown, deleted, disabled, expired, used up), or any other path."""
    if path == ORPHAN_PREFIX:
        return "base_url"
    if CODE_RE.match(path[1:]) is not None:
        return "invalid_short_url"
    return "regular_404"


def orphan_rows(*, shard: int, entries: list[Entry]) -> list[OrphanRow]:
    rows: list[OrphanRow] = []
    for entry in entries:
        for position, path, visit in entry.clicks:
            if not is_orphan(path):
                continue
            agent = visit.agent
            rows.append(
                OrphanRow(
                    visit.clicked_at,
                    orphan_kind(path),
                    path,
                    shard,
                    entry.stream_id,
                    position,
                    visit.ip,
                    visit.ip_prefix,
                    visit.visitor_hash,
                    visit.country,
                    visit.city,
                    visit.referrer,
                    visit.referrer_host,
                    agent.browser,
                    agent.os,
                    agent.device,
                    agent.is_bot,
                    visit.user_agent,
                    visit.domain,
                )
            )
    return rows


async def delete_expired(pool: asyncpg.Pool, *, before: datetime) -> int:
    """Delete orphan visits older than ``before`` (the click retention window); returns how many."""
    status = await pool.execute("DELETE FROM orphan_visits WHERE visited_at < $1", before)
    return int(status.split()[-1])
