"""Refresh tokens: opaque, stored as SHA-256, rotated on every use, grouped in families.

Every login starts a family. Using a token marks it used and issues its successor in the same
family. Presenting a token that was already used means it was copied: the whole family is
revoked, so both the thief and the victim must log in again (OAuth 2.0 Security BCP §4.14).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass

import asyncpg

from common.db import Connection, Executor

logger = logging.getLogger("hop.admin.auth")

# Longer than any sane token; hashing megabytes of junk is not our job.
MAX_TOKEN_LENGTH = 200


class RefreshRejected(Exception):
    """The refresh token is unknown, expired, revoked or reused; ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Rotated:
    user_id: int
    token: str


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def issue_refresh_token(conn: Executor, *, user_id: int, ttl_s: int, family_id: uuid.UUID | None = None) -> str:
    """A new token in ``family_id`` (a new family when None)."""
    token = secrets.token_urlsafe(32)
    await conn.execute(
        """INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4))""",
        user_id,
        family_id or uuid.uuid4(),
        _hash(token),
        float(ttl_s),
    )
    return token


async def rotate_refresh_token(pool: asyncpg.Pool, *, token: str, ttl_s: int) -> Rotated:
    """Spend ``token`` and return its successor.

    Raises:
        RefreshRejected: ``invalid_refresh_token`` (unknown, expired, revoked, disabled user) or
            ``refresh_token_reused`` (already rotated: the family is now revoked).
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise RefreshRejected("invalid_refresh_token", "the refresh token is invalid")
    reused = False
    async with pool.acquire() as conn, conn.transaction():
        # FOR UPDATE: two concurrent uses of one token are serialised, the second is a reuse.
        row = await conn.fetchrow(
            """SELECT t.id, t.user_id, t.family_id, t.used_at, t.revoked_at, t.expires_at <= now() AS expired,
                      u.disabled
               FROM refresh_tokens t JOIN users u ON u.id = t.user_id
               WHERE t.token_hash = $1 FOR UPDATE OF t""",
            _hash(token),
        )
        if row is None or row["revoked_at"] is not None or row["expired"] or row["disabled"]:
            raise RefreshRejected("invalid_refresh_token", "the refresh token is invalid, expired or revoked")
        if row["used_at"] is not None:
            await _revoke_family(conn, row["family_id"])
            reused = True
        else:
            await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE id = $1", row["id"])
            successor = await issue_refresh_token(conn, user_id=row["user_id"], ttl_s=ttl_s, family_id=row["family_id"])
    if reused:
        # Raised after the commit: the family's revocation must stand.
        logger.warning("refresh token reuse for user %d: family %s revoked", row["user_id"], row["family_id"])
        raise RefreshRejected("refresh_token_reused", "the refresh token was already used; sign in again")
    return Rotated(user_id=int(row["user_id"]), token=successor)


async def revoke_refresh_token(pool: asyncpg.Pool, *, token: str) -> bool:
    """Log out: revoke the family of ``token``. False when the token is unknown."""
    if len(token) > MAX_TOKEN_LENGTH:
        return False
    async with pool.acquire() as conn, conn.transaction():
        family = await conn.fetchval("SELECT family_id FROM refresh_tokens WHERE token_hash = $1", _hash(token))
        if family is None:
            return False
        await _revoke_family(conn, family)
    return True


async def _revoke_family(conn: Connection, family_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id
    )
