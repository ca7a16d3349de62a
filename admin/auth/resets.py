"""Password resets: a single-use random token with an expiry, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

import asyncpg

from admin.auth.passwords import hash_password_async
from admin.users import User, get_user_by_email, set_password

MAX_TOKEN_LENGTH = 200


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_reset_token(*, pool: asyncpg.Pool, email: str, ttl_s: int) -> tuple[User, str] | None:
    """A fresh token for the enabled account ``email``, or None (unknown or disabled: say nothing)."""
    user = await get_user_by_email(pool, email)
    if user is None or user.disabled:
        return None
    token = secrets.token_urlsafe(32)
    await pool.execute(
        """INSERT INTO password_resets (user_id, token_hash, expires_at)
           VALUES ($1, $2, now() + make_interval(secs => $3))""",
        user.id,
        _hash(token),
        float(ttl_s),
    )
    return user, token


async def confirm_reset(*, pool: asyncpg.Pool, token: str, new_password: str) -> bool:
    """Set the password if ``token`` is valid, unused and unexpired; spends it and every other
    outstanding reset of the user, and ends the user's sessions. False for a bad token."""
    if len(token) > MAX_TOKEN_LENGTH:
        return False
    # Check before hashing: a made-up token must not buy the caller an argon2 computation.
    live = await pool.fetchval(
        "SELECT 1 FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()", _hash(token)
    )
    if live is None:
        return False
    password_hash = await hash_password_async(new_password)
    async with pool.acquire() as conn, conn.transaction():
        # One UPDATE claims the token: two concurrent confirmations cannot both succeed.
        user_id = await conn.fetchval(
            """UPDATE password_resets r SET used_at = now()
               FROM users u
               WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now()
                 AND u.id = r.user_id AND NOT u.disabled
               RETURNING r.user_id""",
            _hash(token),
        )
        if user_id is None:
            return False
        await conn.execute("UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL", user_id)
        await set_password(conn, user_id=user_id, password_hash=password_hash)
    return True
