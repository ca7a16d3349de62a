"""API keys: long random secrets shown once, stored as SHA-256, revocable, sent as ``X-API-Key``.

Each key has scopes, chosen at creation (default: all of them): ``links:read``, ``links:write``,
``analytics:read``. No key can create or revoke keys, change a password or manage users
(admin/auth/deps.py), so revoking a leaked key ends what it can do for good.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, field_validator

from admin.auth.principal import ALL_SCOPES, Scope
from admin.text import PlainText
from common.db import Row

KEY_PREFIX = "hop_"
# What the owner sees in listings to tell keys apart: "hop_" and the first 8 random characters.
DISPLAY_PREFIX_LENGTH = len(KEY_PREFIX) + 8
API_KEY_COLUMNS = "id, user_id, name, prefix, scopes, last_used_at, revoked_at, created_at"


class ApiKeyNotFound(Exception):
    error_code = "api_key_not_found"

    def __init__(self, key_id: int) -> None:
        super().__init__(f"no API key with id {key_id}")


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=100, pattern=r"\S")
    scopes: list[Scope] = Field(
        default_factory=lambda: list(ALL_SCOPES),
        min_length=1,
        max_length=len(ALL_SCOPES),
        description="What the key may do (default: all three). No key can manage keys, passwords or users.",
    )

    @field_validator("scopes")
    @classmethod
    def _unique(cls, scopes: list[Scope]) -> list[Scope]:
        return sorted(set(scopes))


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The secret. Shown only in this response; store it now.")


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[Scope]
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> ApiKey:
        return cls(**dict(row))

    def public(self) -> ApiKeyPublic:
        return ApiKeyPublic(
            id=self.id,
            name=self.name,
            prefix=self.prefix,
            scopes=self.scopes,
            created_at=self.created_at,
            last_used_at=self.last_used_at,
        )


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """What a presented key grants: whose it is and what it may do."""

    user_id: int
    scopes: frozenset[Scope]


def hash_key(key: str) -> bytes:
    # 256 random bits need no slow hash: nobody can brute-force the preimage of a SHA-256 of them.
    return hashlib.sha256(key.encode()).digest()


async def create_api_key(*, pool: asyncpg.Pool, user_id: int, name: str, scopes: list[Scope]) -> ApiKeyCreated:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = await pool.fetchrow(
        f"""INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4, $5)
            RETURNING {API_KEY_COLUMNS}""",
        user_id,
        name.strip(),
        key[:DISPLAY_PREFIX_LENGTH],
        hash_key(key),
        sorted(set(scopes)),
    )
    assert row is not None, "INSERT ... RETURNING returns the inserted row"
    return ApiKeyCreated(**ApiKey.from_row(row).public().model_dump(), key=key)


async def list_api_keys(*, pool: asyncpg.Pool, user_id: int) -> list[ApiKey]:
    rows = await pool.fetch(
        f"SELECT {API_KEY_COLUMNS} FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id", user_id
    )
    return [ApiKey.from_row(row) for row in rows]


async def revoke_api_key(*, pool: asyncpg.Pool, user_id: int, key_id: int) -> None:
    """Raises ApiKeyNotFound, also for another user's key (no hint that it exists)."""
    done = await pool.fetchval(
        """UPDATE api_keys SET revoked_at = now()
           WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id""",
        key_id,
        user_id,
    )
    if done is None:
        raise ApiKeyNotFound(key_id)


async def grant_for_key(pool: asyncpg.Pool, key: str) -> KeyGrant | None:
    """The owner and scopes of a live key, or None.

    Records the use at most once a minute (a write per request is waste).
    """
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    row = await pool.fetchrow(
        "SELECT id, user_id, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL", hash_key(key)
    )
    if row is None:
        return None
    await pool.execute(
        """UPDATE api_keys SET last_used_at = now()
           WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""",
        row["id"],
    )
    scopes: frozenset[Scope] = frozenset(scope for scope in ALL_SCOPES if scope in row["scopes"])
    return KeyGrant(user_id=int(row["user_id"]), scopes=scopes)
