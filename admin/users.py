"""The users service: accounts, roles, passwords, sessions and disabling (which takes their links off the edge).

Also the first run: ``create_first_admin`` makes the instance's first account, an admin, only while
there is no account at all (GET /instance says whether that is still so).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from admin.audit import MAX_CLIENT_IP, Actor, record
from admin.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_password_async, hash_password_async
from admin.auth.refresh import revoke_user_refresh_tokens
from common.db import Connection, Executor, Row
from common.edge_sync import sync_links
from common.records import Keys
from common.redis import RedisClient

logger = logging.getLogger("hop.admin.users")

Role = Literal["user", "admin"]
PasswordAction = Literal["user.password_change", "user.password_reset"]
# Codes pushed to Redis per pipeline when a user's links change state together.
PUSH_CHUNK = 1_000
Password = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
USER_COLUMNS = (
    "id, email, password_hash, role, disabled, created_at, updated_at, password_changed_at, sessions_revoked_at"
)


class UserError(Exception):
    error_code = "user_error"


class EmailTaken(UserError):
    error_code = "email_taken"

    def __init__(self) -> None:
        super().__init__("an account with this e-mail address already exists")


class UserNotFound(UserError):
    error_code = "user_not_found"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"no user with id {user_id}")
        self.user_id = user_id


class SetupDone(UserError):
    error_code = "setup_done"

    def __init__(self) -> None:
        super().__init__("this instance is set up already: it has accounts; sign in instead")


class LastAdmin(UserError):
    error_code = "last_admin"

    def __init__(self) -> None:
        super().__init__("this would leave no enabled admin; make another account an admin first")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=254)
    password: str = Password


class UserPublic(BaseModel):
    id: int
    email: str
    role: Role
    is_admin: bool
    disabled: bool
    created_at: datetime


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    password_hash: str
    # The users table's CHECK constraint keeps the column to these values.
    role: Role
    disabled: bool
    created_at: datetime
    updated_at: datetime
    # When a change or a reset last set the password (None: not since migration 0009); access
    # tokens issued before it are refused (admin/auth/deps.py).
    password_changed_at: datetime | None
    # When the account last signed out everywhere (None: never since migration 0010); access and
    # refresh tokens issued before it are refused, as for a password change.
    sessions_revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> User:
        return cls(**dict(row))

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def public(self) -> UserPublic:
        return UserPublic(
            id=self.id,
            email=self.email,
            role=self.role,
            is_admin=self.is_admin,
            disabled=self.disabled,
            created_at=self.created_at,
        )


async def create_user(
    *, pool: asyncpg.Pool, email: str, password: str, role: Role = "user", actor: Actor | None = None
) -> User:
    """Create an account; with an ``actor``, a ``user.create`` audit entry (e-mail and role, never
    the password) commits with it.

    Raises WeakPassword, or EmailTaken (whatever the case of the address).
    """
    await check_password_async(password, email=email)
    password_hash = await hash_password_async(password)
    async with pool.acquire() as conn, conn.transaction():
        user = await _insert_user(conn, email=email, password_hash=password_hash, role=role)
        if actor is not None:
            await _record_created(conn, user, actor)
    return user


async def _insert_user(conn: Connection, *, email: str, password_hash: str, role: Role) -> User:
    """Raises EmailTaken (and the caller's transaction is then aborted)."""
    try:
        row = await conn.fetchrow(
            f"INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) RETURNING {USER_COLUMNS}",
            email,
            password_hash,
            role,
        )
    except asyncpg.UniqueViolationError:
        raise EmailTaken() from None
    assert row is not None, "INSERT ... RETURNING returns the inserted row"
    return User.from_row(row)


async def _record_created(conn: Connection, user: User, actor: Actor) -> None:
    await record(
        conn,
        actor=actor,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        entity_code=user.email,
        new=created_values(user),
    )


async def setup_required(conn: Executor) -> bool:
    """Whether the instance has no account yet: then the first-run setup may create its first admin."""
    return not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users)")


async def create_first_admin(*, pool: asyncpg.Pool, email: str, password: str, client_ip: str | None) -> User:
    """The instance's first account, an admin, audited (``user.create``) as its own doing from
    ``client_ip``. Only while there is no account at all: of two concurrent calls, one succeeds.

    Raises:
        SetupDone: the instance has an account already (checked before hashing, so that calls
            after the setup cost nothing).
        WeakPassword
    """
    if not await setup_required(pool):
        raise SetupDone()
    await check_password_async(password, email=email)
    password_hash = await hash_password_async(password)
    async with pool.acquire() as conn, conn.transaction():
        # Taken before looking: a second setup (or a registration) waits here for this transaction,
        # then sees its account. Only writers wait, and only for this short transaction.
        await conn.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
        if not await setup_required(conn):
            raise SetupDone()
        user = await _insert_user(conn, email=email, password_hash=password_hash, role="admin")
        await _record_created(conn, user, Actor("user", user.id, (client_ip or "")[:MAX_CLIENT_IP]))
    logger.info("first-run setup: admin %d created", user.id)
    return user


def created_values(user: User) -> dict[str, Any]:
    """What the audit log keeps of a new account: never its password or hash."""
    return {"email": user.email, "role": user.role}


# Registration inserts the account and its user.create entry in one statement, whether or not the
# address is taken (then neither row is written): one round trip on both paths, so their timing
# cannot tell them apart. record() (admin/audit.py) cannot take part: it needs the new user's id,
# and a self-registered account is its own actor (coalesce). The values are created_values'.
_REGISTER = f"""
    WITH created AS (
        INSERT INTO users (email, password_hash) VALUES ($1, $2)
        ON CONFLICT DO NOTHING RETURNING {USER_COLUMNS}
    ), entry AS (
        INSERT INTO audit_log (actor_id, actor_kind, client_ip, action, entity_type, entity_id, entity_code,
                               new_values)
        SELECT coalesce($3::bigint, id), $4::text, $5::text, 'user.create', 'user', id, email,
               jsonb_build_object('email', email, 'role', role)
        FROM created
    )
    SELECT {USER_COLUMNS} FROM created
"""


async def register_user(
    *, pool: asyncpg.Pool, email: str, password: str, by: Actor | None = None, client_ip: str | None = None
) -> User | None:
    """Self-service registration: the new user, or None when the address already has an account,
    which is left exactly as it was. Both paths do the same work (a policy check, an argon2 hash,
    one statement), so that their answers cannot be told apart, not even by their timing.

    A new account leaves a ``user.create`` audit entry: made ``by`` the caller (an admin, when
    registration is closed), or, without one, by the new account itself from ``client_ip``.

    Raises:
        WeakPassword
    """
    await check_password_async(password, email=email)
    password_hash = await hash_password_async(password)
    if by is not None:
        actor_id, kind, ip = by.user_id, by.kind, by.client_ip
    else:  # the new account, whose id the statement fills in
        actor_id, kind, ip = None, "user", (client_ip or "")[:MAX_CLIENT_IP]
    row = await pool.fetchrow(_REGISTER, email, password_hash, actor_id, kind, ip)
    return User.from_row(row) if row is not None else None


async def get_user(conn: Executor, user_id: int) -> User | None:
    row = await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
    return User.from_row(row) if row is not None else None


async def get_user_by_email(conn: Executor, email: str) -> User | None:
    row = await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)", email)
    return User.from_row(row) if row is not None else None


async def list_users(*, pool: asyncpg.Pool, limit: int, offset: int, q: str | None = None) -> tuple[list[User], int]:
    pattern = f"%{_escape_like(q)}%" if q else None
    rows = await pool.fetch(
        f"""SELECT {USER_COLUMNS}, count(*) OVER () AS total FROM users
            WHERE $1::text IS NULL OR email ILIKE $1
            ORDER BY id LIMIT $2 OFFSET $3""",
        pattern,
        limit,
        offset,
    )
    total = (
        rows[0]["total"]
        if rows
        else await pool.fetchval("SELECT count(*) FROM users WHERE $1::text IS NULL OR email ILIKE $1", pattern)
    )
    return [User.from_row(_without(row, "total")) for row in rows], int(total)


async def set_password(
    conn: Connection,
    *,
    user_id: int,
    password_hash: str,
    actor: Actor | None = None,
    action: PasswordAction = "user.password_change",
) -> None:
    """Store a new hash and end every session of the user: their refresh tokens are revoked, and
    their access tokens refused from now on (``password_changed_at``, checked in
    admin/auth/deps.py). With an
    ``actor``, an ``action`` audit entry commits with it: who and when, no values (never the password).

    Call it inside a transaction: the entry must commit with the change.
    """
    # clock_timestamp(), not now(): the time of this statement, not of the transaction's start, so
    # that a token issued while the transaction was under way is refused too.
    email = await conn.fetchval(
        """UPDATE users SET password_hash = $2, updated_at = now(), password_changed_at = clock_timestamp()
           WHERE id = $1 RETURNING email""",
        user_id,
        password_hash,
    )
    await revoke_user_refresh_tokens(conn, user_id)
    if actor is not None:
        await record(conn, actor=actor, action=action, entity_type="user", entity_id=user_id, entity_code=email)


async def end_sessions(*, pool: asyncpg.Pool, user_id: int, actor: Actor | None = None) -> None:
    """Sign the user out everywhere: every refresh token revoked, and every access token issued until
    now refused from now on (``sessions_revoked_at``, checked in admin/auth/deps.py). API keys stay.
    With an ``actor``, a ``user.sessions_revoke`` audit entry commits with it.

    Raises:
        UserNotFound
    """
    async with pool.acquire() as conn, conn.transaction():
        # clock_timestamp(), as in set_password: the time of this statement, not of the transaction's start.
        email = await conn.fetchval(
            "UPDATE users SET sessions_revoked_at = clock_timestamp() WHERE id = $1 RETURNING email", user_id
        )
        if email is None:
            raise UserNotFound(user_id)
        await revoke_user_refresh_tokens(conn, user_id)
        if actor is not None:
            await record(
                conn,
                actor=actor,
                action="user.sessions_revoke",
                entity_type="user",
                entity_id=user_id,
                entity_code=email,
            )


async def set_user_role(*, pool: asyncpg.Pool, user_id: int, role: Role, actor: Actor | None = None) -> User:
    """Make the account an admin or a plain user; takes effect on its next request (the role is read
    on every one). With an ``actor``, a ``user.role_change`` audit entry (old and new role) commits
    with the change; setting the role it already has changes nothing and records nothing.

    Raises:
        UserNotFound
        LastAdmin: the change would leave no enabled admin.
    """
    async with pool.acquire() as conn, conn.transaction():
        # Every enabled admin locked, in id order: of two admins demoting each other at once, the
        # second waits and then counts one admin fewer, so it cannot leave none.
        rows = await conn.fetch("SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE")
        admins = {row["id"] for row in rows}
        before = await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE", user_id)
        if before is None:
            raise UserNotFound(user_id)
        if before["role"] == role:
            return User.from_row(before)
        if role != "admin" and admins <= {user_id}:
            raise LastAdmin()
        row = await conn.fetchrow(
            f"UPDATE users SET role = $2, updated_at = now() WHERE id = $1 RETURNING {USER_COLUMNS}", user_id, role
        )
        assert row is not None, "the row is locked"
        if actor is not None:
            await record(
                conn,
                actor=actor,
                action="user.role_change",
                entity_type="user",
                entity_id=user_id,
                entity_code=row["email"],
                old={"role": before["role"]},
                new={"role": role},
            )
    return User.from_row(row)


async def set_user_disabled(
    *, pool: asyncpg.Pool, redis: RedisClient, keys: Keys, user_id: int, disabled: bool, actor: Actor | None = None
) -> User:
    """Disable or enable an account; its links leave (or return to) the edge.

    Disabling also revokes the user's sessions. Postgres commits first; the edge is updated
    after, and a Redis outage leaves the change committed (the edge reads through). With an
    ``actor``, a ``user.disable`` or ``user.enable`` audit entry (old and new ``disabled``)
    commits with the change.

    Raises:
        UserNotFound
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await _store_disabled(conn, user_id=user_id, disabled=disabled, actor=actor)
    edge_keys = [r["edge_key"] for r in await pool.fetch("SELECT edge_key FROM links WHERE owner_id = $1", user_id)]
    for start in range(0, len(edge_keys), PUSH_CHUNK):
        # Whatever Postgres now says each link is (tombstones while the owner is disabled); what Redis
        # misses stays queued (the trigger on users queued every link) for the worker's replay.
        await sync_links(pool=pool, redis=redis, keys=keys, edge_keys=edge_keys[start : start + PUSH_CHUNK])
    logger.info(
        "user %d %s; %d links pushed to the edge", user_id, "disabled" if disabled else "enabled", len(edge_keys)
    )
    return User.from_row(row)


async def _store_disabled(conn: Connection, *, user_id: int, disabled: bool, actor: Actor | None) -> Row:
    """The account's new row; inside the caller's transaction. Raises UserNotFound."""
    # Locked before the change: the entry's old value is exactly what this update replaced.
    before = await conn.fetchrow("SELECT disabled, email FROM users WHERE id = $1 FOR UPDATE", user_id)
    if before is None:
        raise UserNotFound(user_id)
    row = await conn.fetchrow(
        f"UPDATE users SET disabled = $2, updated_at = now() WHERE id = $1 RETURNING {USER_COLUMNS}", user_id, disabled
    )
    assert row is not None, "the row is locked"
    if disabled:
        await revoke_user_refresh_tokens(conn, user_id)
    if actor is not None:
        await record(
            conn,
            actor=actor,
            action="user.disable" if disabled else "user.enable",
            entity_type="user",
            entity_id=user_id,
            entity_code=before["email"],
            old={"disabled": before["disabled"]},
            new={"disabled": disabled},
        )
    return row


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _without(row: Row, column: str) -> dict[str, Any]:
    values = dict(row)
    values.pop(column, None)
    return values
