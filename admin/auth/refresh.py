"""Refresh tokens: opaque, stored as SHA-256, rotated on every use, grouped in families.

Every login starts a family. Using a token marks it used and issues its successor in the same
family. Presenting a token that was already used means it was copied: the whole family is
revoked, so both the thief and the victim must log in again (OAuth 2.0 Security BCP §4.14).

Every token records the id of the JWT key it was issued under (admin/auth/tokens.py). A token
whose key is neither the current nor the previous one is refused and its family revoked: that
is how rotating HOP_JWT_SECRET ends sessions. Its successor is issued under the current key.

A token created before the user's sessions ended (a new password, or signing out everywhere:
``users.password_changed_at``, ``users.sessions_revoked_at``) is refused too, family and all. Those
changes revoke every token they see; this catches the successor of a rotation that raced them.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass

import asyncpg

from common.db import Connection, Executor, Row

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


async def issue_refresh_token(
    conn: Executor, *, user_id: int, ttl_s: int, key_id: str, family_id: uuid.UUID | None = None
) -> str:
    """A new token in ``family_id`` (a new family when None), issued under the JWT key ``key_id``."""
    token = secrets.token_urlsafe(32)
    await conn.execute(
        """INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, key_id)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)""",
        user_id,
        family_id or uuid.uuid4(),
        _hash(token),
        float(ttl_s),
        key_id,
    )
    return token


def _refusal(row: Row, accepted_key_ids: tuple[str, ...]) -> RefreshRejected | None:
    """Why a live token must not be rotated (its family is then revoked), or None."""
    if row["used_at"] is not None:
        return RefreshRejected("refresh_token_reused", "the refresh token was already used; sign in again")
    if row["key_id"] not in accepted_key_ids:
        return RefreshRejected("invalid_refresh_token", "the session ended when the signing key was rotated")
    if row["ended"]:
        return RefreshRejected(
            "invalid_refresh_token", "the session ended with a new password or a sign-out everywhere"
        )
    return None


async def rotate_refresh_token(
    pool: asyncpg.Pool, *, token: str, ttl_s: int, key_id: str, accepted_key_ids: tuple[str, ...]
) -> Rotated:
    """Spend ``token`` and return its successor, issued under ``key_id``.

    Raises:
        RefreshRejected: ``invalid_refresh_token`` (unknown, expired, revoked, disabled user, or
            issued under a key not in ``accepted_key_ids``: the family is then revoked) or
            ``refresh_token_reused`` (already rotated: the family is now revoked).
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise RefreshRejected("invalid_refresh_token", "the refresh token is invalid")
    refused: RefreshRejected | None = None
    async with pool.acquire() as conn, conn.transaction():
        # FOR UPDATE: two concurrent uses of one token are serialised, the second is a reuse.
        row = await conn.fetchrow(
            """SELECT t.id, t.user_id, t.family_id, t.used_at, t.revoked_at, t.expires_at <= now() AS expired,
                      t.key_id, u.disabled,
                      coalesce(t.created_at <= greatest(u.password_changed_at, u.sessions_revoked_at), false) AS ended
               FROM refresh_tokens t JOIN users u ON u.id = t.user_id
               WHERE t.token_hash = $1 FOR UPDATE OF t""",
            _hash(token),
        )
        if row is None or row["revoked_at"] is not None or row["expired"] or row["disabled"]:
            raise RefreshRejected("invalid_refresh_token", "the refresh token is invalid, expired or revoked")
        refused = _refusal(row, accepted_key_ids)
        if refused is not None:
            await _revoke_family(conn, row["family_id"])
        else:
            await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE id = $1", row["id"])
            successor = await issue_refresh_token(
                conn, user_id=row["user_id"], ttl_s=ttl_s, key_id=key_id, family_id=row["family_id"]
            )
    if refused is not None:
        # Raised after the commit: the family's revocation must stand.
        logger.warning(
            "refresh token refused for user %d (%s): family %s revoked", row["user_id"], refused.code, row["family_id"]
        )
        raise refused
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


async def revoke_user_refresh_tokens(conn: Executor, user_id: int) -> None:
    """Revoke every live refresh token of the user (a new password, signing out everywhere, disabling)."""
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
    )


async def _revoke_family(conn: Connection, family_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id
    )
