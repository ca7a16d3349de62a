"""The audit log: who changed which link, user or short domain, when, from where, with the old and new values.

``record`` writes one entry on the connection it is given: pass the connection of the
transaction that makes the change, so that the change and its entry commit, or roll back,
together. Values never carry secrets: ``safe_values`` drops every key that names a password,
token, key, hash or secret, whatever the caller passes, unless its value is a bool (a link's
``has_password`` says whether there is one, never what it is). Admins read the log through
GET /api/v1/audit (admin/routes/audit.py), newest first, with keyset pagination on the id.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import asyncpg
import orjson

from admin.auth.principal import Principal
from common.db import Executor

ActorKind = Literal["user", "api_key", "cli"]
EntityType = Literal["link", "user", "domain"]
MAX_CLIENT_IP: Final = 100
# A key naming any of these is dropped from old and new values: the log must never hold credentials.
_SECRET_WORDS: Final = ("password", "token", "secret", "hash", "key")

_INSERT: Final = """
    INSERT INTO audit_log (actor_id, actor_kind, client_ip, action, entity_type, entity_id, entity_code,
                           old_values, new_values)
    SELECT $1, $2, $3, $4, $5, (e->>'id')::bigint, e->>'code', e->'old', e->'new'
    FROM jsonb_array_elements($6::jsonb) AS e
"""
_COLUMNS: Final = (
    "id, at, actor_id, actor_kind, client_ip, action, entity_type, entity_id, entity_code, old_values, new_values"
)


class InvalidAuditCursor(ValueError):
    error_code = "invalid_cursor"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a user signed in, a user's API key, or the command line (no user)."""

    kind: ActorKind
    user_id: int | None = None
    client_ip: str | None = None

    @classmethod
    def of(cls, principal: Principal, client_ip: str | None) -> Actor:
        return cls("api_key" if principal.is_api_key else "user", principal.id, (client_ip or "")[:MAX_CLIENT_IP])


CLI: Final = Actor("cli")


@dataclass(frozen=True, slots=True)
class Change:
    """One entity's change: its id and code (a link's edge key, a user's e-mail, a domain's host), old
    and new values."""

    entity_id: int | None
    entity_code: str | None = None
    old: Mapping[str, Any] | None = None
    new: Mapping[str, Any] | None = None


def _secret(key: str) -> bool:
    return any(word in key.lower() for word in _SECRET_WORDS)


def safe_values(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``values`` without any key that could hold a credential; a bool holds none."""
    if values is None:
        return None
    return {key: value for key, value in values.items() if isinstance(value, bool) or not _secret(key)}


def changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys whose values differ, with their old and new values."""
    keys = [key for key in new if old.get(key) != new[key]]
    return {key: old.get(key) for key in keys}, {key: new[key] for key in keys}


async def record_many(
    conn: Executor, *, actor: Actor, action: str, entity_type: EntityType, changes: Sequence[Change]
) -> None:
    """One entry per change, in one statement. Call it inside the change's transaction."""
    if not changes:
        return
    entries = [
        {"id": c.entity_id, "code": c.entity_code, "old": safe_values(c.old), "new": safe_values(c.new)}
        for c in changes
    ]
    # The pool's jsonb codec (common/db.py) encodes with orjson: datetimes as ISO 8601.
    await conn.execute(_INSERT, actor.user_id, actor.kind, actor.client_ip, action, entity_type, entries)


async def record(
    conn: Executor,
    *,
    actor: Actor,
    action: str,
    entity_type: EntityType,
    entity_id: int | None,
    entity_code: str | None = None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> None:
    """One entry: ``actor`` did ``action`` (e.g. ``user.disable``) to an entity; ``old``/``new`` are
    the values before and after (only those that changed, or all of them on create and delete).

    Call it with the connection of the change's transaction.
    """
    change = Change(entity_id, entity_code, old, new)
    await record_many(conn, actor=actor, action=action, entity_type=entity_type, changes=[change])


@dataclass(frozen=True, slots=True)
class AuditFilter:
    entity_type: EntityType | None = None
    entity_id: int | None = None
    entity_code: str | None = None
    actor_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(["audit", entry_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Raises InvalidAuditCursor."""
    try:
        kind, entry_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise InvalidAuditCursor("the cursor is invalid") from None
    if kind != "audit" or not isinstance(entry_id, int) or isinstance(entry_id, bool) or not 0 < entry_id < 2**63:
        raise InvalidAuditCursor("the cursor is invalid")
    return entry_id


def _where(filters: AuditFilter, cursor: str | None) -> tuple[str, list[Any]]:
    conditions = {
        "entity_type = {}": filters.entity_type,
        "entity_id = {}": filters.entity_id,
        "entity_code = {}": filters.entity_code,
        "actor_id = {}": filters.actor_id,
        "action = {}": filters.action,
        "at >= {}": filters.since,
        "at < {}": filters.until,
        "id < {}": decode_cursor(cursor) if cursor is not None else None,
    }
    clauses: list[str] = []
    params: list[Any] = []
    for template, value in conditions.items():
        if value is not None:
            params.append(value)
            clauses.append(template.format(f"${len(params)}"))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


async def list_entries(pool: asyncpg.Pool, *, filters: AuditFilter, limit: int, cursor: str | None) -> AuditPage:
    """One page of entries, newest first. Raises InvalidAuditCursor."""
    where, params = _where(filters, cursor)
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM audit_log{where} ORDER BY id DESC LIMIT {int(limit) + 1}", *params)
    entries = [dict(row) for row in rows[:limit]]
    next_cursor = encode_cursor(entries[-1]["id"]) if len(rows) > limit else None
    return AuditPage(entries=entries, next_cursor=next_cursor)
