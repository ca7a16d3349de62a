"""Password resets: a single-use random token with an expiry, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

import asyncpg

from admin.audit import MAX_CLIENT_IP, Actor
from admin.auth.passwords import check_password_async, hash_password_async
from admin.users import USER_COLUMNS, User, get_user_by_email, set_password

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


async def confirm_reset(
    *, pool: asyncpg.Pool, token: str, new_password: str, client_ip: str | None = None
) -> User | None:
    """Set the password if ``token`` is valid, unused and unexpired; spends it and every other
    outstanding reset of the user, and ends the user's sessions. Returns the user, or None for a bad token.

    A ``user.password_reset`` audit entry commits with the new password, as the account's own act
    (whoever holds the token acts as its owner) from ``client_ip``; it holds no values.

    Raises:
        WeakPassword: the new password breaks the policy (the token stays usable).
    """
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    # Checked before hashing: a made-up token must not buy the caller an argon2 computation.
    user = await _user_of_live_token(pool, token)
    if user is None:
        return None
    await check_password_async(new_password, email=user.email)
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
            return None
        await conn.execute("UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL", user_id)
        actor = Actor("user", user_id, (client_ip or "")[:MAX_CLIENT_IP])
        await set_password(
            conn, user_id=user_id, password_hash=password_hash, actor=actor, action="user.password_reset"
        )
    return user


async def _user_of_live_token(pool: asyncpg.Pool, token: str) -> User | None:
    columns = ", ".join(f"u.{column.strip()}" for column in USER_COLUMNS.split(","))
    row = await pool.fetchrow(
        f"""SELECT {columns} FROM password_resets r JOIN users u ON u.id = r.user_id
            WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() AND NOT u.disabled""",
        _hash(token),
    )
    return User.from_row(row) if row is not None else None
