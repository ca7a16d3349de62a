"""Listing links: filters (search, tag, owner, domain), sorting, and cursor or page pagination; and their tags.

Cursor pagination is keyset pagination on (sort column, id): stable while links are added
or removed, and as fast on page 1,000 as on page 1. Page numbers (OFFSET) are offered for
UIs that want them.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
import orjson

from admin.auth.principal import Principal
from admin.links import LINK_COLUMNS, Link, LinkError

SortKey = Literal[
    "created_at", "-created_at", "updated_at", "-updated_at", "code", "-code", "click_count", "-click_count"
]
DEFAULT_SORT: SortKey = "-created_at"
_COLUMN_TYPES = {"created_at": "timestamptz", "updated_at": "timestamptz", "code": "text", "click_count": "bigint"}


class InvalidCursor(LinkError):
    error_code = "invalid_cursor"

    def __init__(self, message: str = "the cursor is invalid or belongs to another sort order") -> None:
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class LinkFilter:
    q: str | None = None
    tag: str | None = None
    owner_id: int | None = None
    by_domain: bool = False  # only the links of ``domain`` (as stored: None is the default domain)
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class LinkPage:
    links: list[Link]
    count: int
    next_cursor: str | None


def encode_cursor(sort: str, value: Any, link_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = orjson.dumps([sort, value, link_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_bigint(value: object) -> bool:
    # A hand-made cursor must not reach Postgres with a number its bigint cannot hold.
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """Raises InvalidCursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, link_id = orjson.loads(raw)
        column = sort.lstrip("-")
        if cursor_sort != sort or not _is_bigint(link_id):
            raise InvalidCursor()
        if _COLUMN_TYPES[column] == "timestamptz":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise InvalidCursor()
        elif _COLUMN_TYPES[column] == "bigint" and not _is_bigint(value):
            raise InvalidCursor()
        elif _COLUMN_TYPES[column] == "text" and (not isinstance(value, str) or "\x00" in value):
            raise InvalidCursor()
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidCursor() from None
    return value, link_id


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(principal: Principal, filters: LinkFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []

    def param(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    # Users see their own links whatever they ask for; admins see all, or one owner's.
    owner = filters.owner_id if principal.is_admin else principal.id
    if owner is not None:
        clauses.append(f"owner_id = {param(owner)}")
    if filters.q:
        pattern = param(f"%{_escape_like(filters.q)}%")
        clauses.append(f"(code ILIKE {pattern} OR target_url ILIKE {pattern} OR title ILIKE {pattern})")
    if filters.tag:
        clauses.append(f"tags @> ARRAY[{param(filters.tag.strip().lower())}]::text[]")
    if filters.by_domain:
        clauses.append("domain IS NULL" if filters.domain is None else f"domain = {param(filters.domain)}")
    return clauses, params


async def list_links(
    *,
    pool: asyncpg.Pool,
    principal: Principal,
    filters: LinkFilter,
    limit: int,
    sort: SortKey = DEFAULT_SORT,
    cursor: str | None = None,
    page: int | None = None,
) -> LinkPage:
    """One page of the links ``principal`` may see. Raises InvalidCursor."""
    column = sort.lstrip("-")
    descending = sort.startswith("-")
    clauses, params = _where(principal, filters)
    count_sql = "SELECT count(*) FROM links" + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
    count_params = list(params)
    if cursor is not None:
        value, last_id = decode_cursor(cursor, sort)
        params += [value, last_id]
        op = "<" if descending else ">"
        kind = _COLUMN_TYPES[column]
        clauses.append(f"({column}, id) {op} (${len(params) - 1}::{kind}, ${len(params)}::bigint)")
    direction = "DESC" if descending else "ASC"
    sql = f"SELECT {LINK_COLUMNS} FROM links"
    if clauses:
        sql += f" WHERE {' AND '.join(clauses)}"
    sql += f" ORDER BY {column} {direction}, id {direction} LIMIT {int(limit) + 1}"
    if page is not None:
        sql += f" OFFSET {(int(page) - 1) * int(limit)}"
    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        rows = await conn.fetch(sql, *params)
        count = int(await conn.fetchval(count_sql, *count_params))
    links = [Link.from_row(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit and page is None:
        last = links[-1]
        next_cursor = encode_cursor(sort, getattr(last, column), last.id)
    return LinkPage(links=links, count=count, next_cursor=next_cursor)


MAX_TAGS_LISTED = 500


@dataclass(frozen=True, slots=True)
class TagCount:
    tag: str
    links: int


async def tag_counts(pool: asyncpg.Pool, *, principal: Principal, limit: int = MAX_TAGS_LISTED) -> list[TagCount]:
    """The tags of the links ``principal`` may see (as list_links: their own, an admin's all), with
    how many of those links carry each: most used first, then by name."""
    owner = None if principal.is_admin else principal.id
    rows = await pool.fetch(
        """SELECT tag, count(*) AS links FROM links CROSS JOIN LATERAL unnest(tags) AS tag
           WHERE $1::bigint IS NULL OR owner_id = $1
           GROUP BY tag ORDER BY links DESC, tag LIMIT $2""",
        owner,
        limit,
    )
    return [TagCount(tag=row["tag"], links=int(row["links"])) for row in rows]
