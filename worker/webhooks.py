"""Webhook deliveries: queued with the clicks they report, then sent, signed, retried and logged.

Queued: ``queue_click_deliveries`` runs inside the worker's apply transaction, so each counted
click is queued exactly once, batched: one delivery per endpoint and transaction. Link events are
queued by a trigger in admin's transactions (migration 0021).

Sent: ``WebhookSender`` claims due deliveries (``FOR UPDATE SKIP LOCKED``, then a lease of
``LEASE_S`` so that no other worker sends them meanwhile), resolves each endpoint's host and
checks every address (common/destinations.py), POSTs the signed body to the checked address, and
records the outcome. A 2xx is delivered; anything else is retried after ``retry_base`` seconds,
doubling each time, until ``max_attempts``; ``disable_after`` consecutive failures disable the
endpoint. Delivery is at least once: a worker killed after the POST and before the record sends it
again when the lease ends, with the same ``Hop-Webhook-Id``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import asyncpg
import httpx
import orjson

from common.db import Connection
from common.destinations import DestinationRefused, Network, resolve
from common.settings import WorkerSettings
from common.webhooks import ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from worker.entries import Entry
from worker.published import clicks_by_owner

logger = logging.getLogger("hop.worker.webhooks")

LEASE_S: Final = 60  # longer than a send may take (TIMEOUT_S), so a lease never ends mid-send
TIMEOUT_S: Final = 10.0
CLAIM_BATCH: Final = 20  # deliveries claimed, and sent concurrently, at a time per worker
POLL_S: Final = 1.0
MAX_RETRY_S: Final = 6 * 3_600
DELIVERY_LOG_DAYS: Final = 30  # deliveries older than this leave the log (worker housekeeping)
_USER_AGENT: Final = "Hop-Webhooks/1"
_ERROR_MAX: Final = 500


async def queue_click_deliveries(conn: Connection, entries: list[Entry], owners: dict[str, int | None]) -> int:
    """Queue the counted clicks of ``entries`` for every enabled click endpoint of their links' owners."""
    accounts = {owner for owner in owners.values() if owner is not None}
    if not accounts:
        return 0
    endpoints = await conn.fetch(
        "SELECT id, owner_id FROM webhook_endpoints "
        "WHERE owner_id = ANY($1::bigint[]) AND enabled AND 'click' = ANY(events) ORDER BY id",
        sorted(accounts),
    )
    if not endpoints:
        return 0
    wanted = {row["owner_id"] for row in endpoints}
    clicks = clicks_by_owner(entries, owners, lambda owner: owner in wanted)
    payloads = {owner: orjson.dumps({"clicks": found}).decode() for owner, found in clicks.items()}
    queued = [(row["id"], payloads[row["owner_id"]]) for row in endpoints if row["owner_id"] in payloads]
    await conn.execute(
        "INSERT INTO webhook_deliveries (endpoint_id, event, payload) "
        "SELECT e, 'click', p::jsonb FROM unnest($1::bigint[], $2::text[]) AS u(e, p)",
        [endpoint for endpoint, _ in queued],
        [payload for _, payload in queued],
    )
    return len(queued)


@dataclass(frozen=True, slots=True)
class Due:
    """A claimed delivery, with what sending it needs."""

    id: int
    endpoint_id: int
    event: str
    payload: str  # JSON, as stored
    created_at: datetime
    attempts: int  # including this one
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Outcome:
    due: Due
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None


class WebhookSender:
    """Sends due deliveries until cancelled; one per worker process (not in burst mode)."""

    def __init__(self, pool: asyncpg.Pool, settings: WorkerSettings, client: httpx.AsyncClient) -> None:
        self._pool = pool
        self._client = client
        self._allowed: list[Network] = list(settings.webhook_allowed_networks)
        self._retry_base = settings.webhook_retry_base
        self._max_attempts = settings.webhook_max_attempts
        self._disable_after = settings.webhook_disable_after

    async def run(self) -> None:
        while True:
            try:
                sent = await self.send_due()
            except (asyncpg.PostgresError, OSError) as error:
                logger.warning("webhook deliveries not sent, retrying: %s", error)
                sent = 0
            if sent < CLAIM_BATCH:
                await asyncio.sleep(POLL_S)

    async def send_due(self) -> int:
        """Send one batch of due deliveries and record the outcomes; returns how many were sent."""
        claimed = await self._claim()
        outcomes = await asyncio.gather(*(self._attempt(due) for due in claimed))
        if outcomes:
            async with self._pool.acquire() as conn, conn.transaction():
                for outcome in outcomes:
                    await self._record(conn, outcome)
        return len(outcomes)

    async def _claim(self) -> list[Due]:
        rows = await self._pool.fetch(
            """WITH due AS (
                   SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                   WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled
                   ORDER BY d.next_attempt_at, d.id LIMIT $1 FOR UPDATE OF d SKIP LOCKED)
               UPDATE webhook_deliveries d
               SET attempts = d.attempts + 1, last_attempt_at = now(),
                   next_attempt_at = now() + make_interval(secs => $2)
               FROM due, webhook_endpoints e
               WHERE d.id = due.id AND e.id = d.endpoint_id
               RETURNING d.id, d.endpoint_id, d.event, d.payload::text AS payload, d.created_at, d.attempts,
                         e.url, e.secret""",
            CLAIM_BATCH,
            LEASE_S,
        )
        return [Due(**dict(row)) for row in rows]

    async def _attempt(self, due: Due) -> Outcome:
        try:
            destination = await resolve(due.url, self._allowed)
        except DestinationRefused as refused:
            return Outcome(due, None, f"refused: {refused}")
        body = _body(due)
        sent_at = int(time.time())
        headers = {
            "Host": destination.host_header,
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
            ID_HEADER: str(due.id),
            TIMESTAMP_HEADER: str(sent_at),
            SIGNATURE_HEADER: signature(due.secret, sent_at, body),
        }
        # TLS still checks the certificate against the name, which SNI sends too.
        extensions = {"sni_hostname": destination.hostname} if destination.parts.scheme == "https" else {}
        try:
            response = await self._client.post(
                destination.pinned_url, content=body, headers=headers, extensions=extensions
            )
        except httpx.HTTPError as error:
            return Outcome(due, None, f"{type(error).__name__}: {error}"[:_ERROR_MAX] or type(error).__name__)
        if 200 <= response.status_code < 300:
            return Outcome(due, response.status_code, None)
        return Outcome(due, response.status_code, f"answered {response.status_code}")

    async def _record(self, conn: Connection, outcome: Outcome) -> None:
        due = outcome.due
        if outcome.delivered:
            await conn.execute(
                "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_status_code = $2, "
                "last_error = NULL WHERE id = $1",
                due.id,
                outcome.status_code,
            )
            await conn.execute("UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = $1", due.endpoint_id)
            return
        final = due.attempts >= self._max_attempts
        await conn.execute(
            "UPDATE webhook_deliveries SET status = $2, last_status_code = $3, last_error = $4, "
            "next_attempt_at = now() + make_interval(secs => $5) WHERE id = $1",
            due.id,
            "failed" if final else "pending",
            outcome.status_code,
            outcome.error,
            self._retry_delay(due.attempts),
        )
        await conn.execute(
            """UPDATE webhook_endpoints
               SET consecutive_failures = consecutive_failures + 1,
                   enabled = enabled AND consecutive_failures + 1 < $2,
                   disabled_reason = CASE WHEN enabled AND consecutive_failures + 1 >= $2
                       THEN format('disabled after %s failed deliveries in a row; the last: %s', $2, $3::text)
                       ELSE disabled_reason END,
                   updated_at = now()
               WHERE id = $1""",
            due.endpoint_id,
            self._disable_after,
            outcome.error,
        )
        logger.info(
            "webhook delivery %d to endpoint %d failed (attempt %d): %s",
            due.id,
            due.endpoint_id,
            due.attempts,
            outcome.error,
        )

    def _retry_delay(self, attempts: int) -> float:
        """Seconds until the next attempt: doubling from ``retry_base``, with jitter so that the retries of
        many deliveries to one endpoint that was down do not arrive together."""
        delay = min(self._retry_base * 2.0 ** (attempts - 1), MAX_RETRY_S)
        return delay * random.uniform(0.8, 1.2)


def _body(due: Due) -> bytes:
    created_at = due.created_at.isoformat().replace("+00:00", "Z")
    return orjson.dumps(
        {"id": str(due.id), "event": due.event, "created_at": created_at, "data": orjson.Fragment(due.payload)}
    )


def new_client() -> httpx.AsyncClient:
    """The sender's HTTP client: no redirects followed (one could lead to an address never checked),
    and no connection kept: connections are pooled by address, and two endpoints' names may share one."""
    limits = httpx.Limits(max_connections=CLAIM_BATCH, max_keepalive_connections=0)
    return httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False, limits=limits)
