"""Webhook endpoints and their delivery log: models and queries (routes in admin/routes/webhooks.py).

An endpoint belongs to a user and names the events it wants; its secret is generated here, shown
once at creation (and at each rotation), and signs every delivery (common/webhooks.py). Its URL
is checked when it is set, every address it resolves to (common/destinations.py), and again by the
worker before every delivery, since a name may resolve elsewhere later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, Field

from common.db import Executor
from common.destinations import Network, resolve
from common.webhooks import Event, new_secret

MAX_ENDPOINTS_PER_USER: Final = 20
DeliveryStatus = Literal["pending", "delivered", "failed"]


def _distinct(events: list[Event]) -> list[Event]:
    return sorted(set(events))


Events = Annotated[
    list[Event],
    Field(min_length=1, max_length=4, description="What to send: clicks (batched), and link changes."),
    AfterValidator(_distinct),
]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2048,
        description="Where to POST: http(s), resolving to public addresses only.",
        examples=["https://hooks.example.com/hop"],
    ),
]
Description = Annotated[str, Field(max_length=200, description="A note for you: what receives these.")]


class WebhookCreate(BaseModel):
    url: Url
    events: Events
    description: Description = ""


class WebhookUpdate(BaseModel):
    url: Url | None = None
    events: Events | None = None
    description: Description | None = None
    enabled: bool | None = Field(None, description="Re-enabling an endpoint clears its failure count.")


class WebhookPublic(BaseModel):
    id: int
    url: str
    events: list[Event]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(description="Why Hop disabled it, when it did.")
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="The signing secret: shown in this response only. Keep it on the receiving side.")


class WebhookSecret(BaseModel):
    secret: str = Field(description="The new signing secret, shown once; the old one stops signing at once.")


class Delivery(BaseModel):
    id: int
    event: Event
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="When it is tried again, while pending.")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    payload: dict[str, Any] = Field(description="The data the delivery carries (its body's data).")


class WebhookNotFound(LookupError):
    pass


_COLUMNS: Final = "id, url, events, description, enabled, disabled_reason, consecutive_failures, created_at, updated_at"


async def checked_url(url: str, allowed: Sequence[Network]) -> str:
    """``url`` when webhooks may be sent there now. Raises DestinationRefused, with the reason."""
    await resolve(url, allowed)
    return url


async def list_webhooks(conn: Executor, owner_id: int) -> list[WebhookPublic]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE owner_id = $1 ORDER BY id", owner_id)
    return [WebhookPublic(**dict(row)) for row in rows]


async def count_webhooks(conn: Executor, owner_id: int) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM webhook_endpoints WHERE owner_id = $1", owner_id))


async def create_webhook(conn: Executor, owner_id: int, body: WebhookCreate) -> WebhookCreated:
    secret = new_secret()
    row = await conn.fetchrow(
        f"INSERT INTO webhook_endpoints (owner_id, url, events, description, secret) VALUES ($1, $2, $3, $4, $5) "
        f"RETURNING {_COLUMNS}",
        owner_id,
        body.url,
        body.events,
        body.description,
        secret,
    )
    return WebhookCreated(**dict(row or {}), secret=secret)


async def get_webhook(conn: Executor, owner_id: int, webhook_id: int) -> WebhookPublic:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND owner_id = $2", webhook_id, owner_id
    )
    if row is None:
        raise WebhookNotFound(webhook_id)
    return WebhookPublic(**dict(row))


async def update_webhook(conn: Executor, owner_id: int, webhook_id: int, body: WebhookUpdate) -> WebhookPublic:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if changes.get("enabled"):
        changes |= {"consecutive_failures": 0, "disabled_reason": None}
    if not changes:
        return await get_webhook(conn, owner_id, webhook_id)
    assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(changes, start=3))
    row = await conn.fetchrow(
        f"UPDATE webhook_endpoints SET {assignments}, updated_at = now() WHERE id = $1 AND owner_id = $2 "
        f"RETURNING {_COLUMNS}",
        webhook_id,
        owner_id,
        *changes.values(),
    )
    if row is None:
        raise WebhookNotFound(webhook_id)
    return WebhookPublic(**dict(row))


async def rotate_secret(conn: Executor, owner_id: int, webhook_id: int) -> WebhookSecret:
    secret = new_secret()
    found = await conn.fetchval(
        "UPDATE webhook_endpoints SET secret = $3, updated_at = now() WHERE id = $1 AND owner_id = $2 RETURNING id",
        webhook_id,
        owner_id,
        secret,
    )
    if found is None:
        raise WebhookNotFound(webhook_id)
    return WebhookSecret(secret=secret)


async def delete_webhook(conn: Executor, owner_id: int, webhook_id: int) -> None:
    found = await conn.fetchval(
        "DELETE FROM webhook_endpoints WHERE id = $1 AND owner_id = $2 RETURNING id", webhook_id, owner_id
    )
    if found is None:
        raise WebhookNotFound(webhook_id)


_DELIVERY_SELECT: Final = """
    SELECT id, event, status, attempts, created_at, last_attempt_at,
           CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at,
           last_status_code, last_error, delivered_at, payload
    FROM webhook_deliveries"""


async def list_deliveries(
    conn: Executor, owner_id: int, webhook_id: int, *, status: DeliveryStatus | None, limit: int
) -> list[Delivery]:
    """The endpoint's deliveries, newest first."""
    await get_webhook(conn, owner_id, webhook_id)
    rows = await conn.fetch(
        f"{_DELIVERY_SELECT} WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY id DESC LIMIT $3",
        webhook_id,
        status,
        limit,
    )
    return [Delivery(**dict(row)) for row in rows]


async def retry_delivery(conn: Executor, owner_id: int, webhook_id: int, delivery_id: int) -> Delivery:
    """Send a delivery again, now, whatever became of it (delivered ones too: a receiver may have lost one)."""
    await get_webhook(conn, owner_id, webhook_id)
    row = await conn.fetchrow(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), attempts = 0 "
        "WHERE id = $1 AND endpoint_id = $2 RETURNING id, event, status, attempts, created_at, last_attempt_at, "
        "next_attempt_at, last_status_code, last_error, delivered_at, payload",
        delivery_id,
        webhook_id,
    )
    if row is None:
        raise WebhookNotFound(delivery_id)
    return Delivery(**dict(row))
