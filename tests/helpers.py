"""Shared test helpers: creating links through the links service, and waiting for an event.

Tests never sleep a fixed time and then assert: they wait (with a deadline) for something observable
that proves the thing happened (a log line, a row, a counter, a metric, a Redis key), then assert.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from admin.links import Link, LinkCreate, create_link, prepare_target
from common.settings import AdminSettings
from common.stores import Stores
from harness.processes import Process

T = TypeVar("T")

# Settings production accepts: every secret set to a value of the test's own.
PRODUCTION_SECRETS: dict[str, Any] = {
    "environment": "production",
    "jwt_secret": "j" * 40,
    "visitor_salt_secret": "v" * 20,
    "link_unlock_secret": "u" * 40,
}
WAIT_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.02
SHARD_LOG = re.compile(r"(took|released) click shard (\d+)")


def _timed_out(what: str, timeout: float, last: object) -> AssertionError:
    shown = repr(last)
    if len(shown) > 2_000:
        shown = f"{shown[:2_000]}... ({len(shown)} characters)"
    return AssertionError(f"still waiting after {timeout:g}s for {what}; last value: {shown}")


def wait_until(
    probe: Callable[[], T],
    done: Callable[[T], object] = bool,
    *,
    timeout: float = WAIT_TIMEOUT_S,
    interval: float = POLL_INTERVAL_S,
    what: str = "the condition",
) -> T:
    """Call ``probe`` until ``done`` holds for its value (by default: until it is truthy); return that value.

    The probe runs at least once, and its last run starts at or after the deadline.

    Raises:
        AssertionError: ``done`` still did not hold after ``timeout`` seconds (the last value is in the message).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, value)
        time.sleep(interval)


async def wait_until_async(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], object] = bool,
    *,
    timeout: float = WAIT_TIMEOUT_S,
    interval: float = POLL_INTERVAL_S,
    what: str = "the condition",
) -> T:
    """``wait_until`` for an async ``probe``: the event loop runs on between the polls."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, value)
        await asyncio.sleep(interval)


async def wait_until_in_loop(
    probe: Callable[[], T],
    done: Callable[[T], object] = bool,
    *,
    timeout: float = WAIT_TIMEOUT_S,
    interval: float = POLL_INTERVAL_S,
    what: str = "the condition",
) -> T:
    """``wait_until`` with a plain ``probe``, from async code: the event loop (an app under test) runs between polls."""

    async def probe_now() -> T:
        return probe()

    return await wait_until_async(probe_now, done, timeout=timeout, interval=interval, what=what)


async def add_link(
    stores: Stores,
    settings: AdminSettings,
    target: str,
    *,
    code: str | None = None,
    status: int = 302,
    expires_at: datetime | None = None,
    forward_query: bool = False,
    max_clicks: int | None = None,
    owner_id: int | None = None,
) -> Link:
    """A link made by the links service, as the API would make it (``status`` is validated as the API does)."""
    fields: dict[str, Any] = {
        "target_url": target,
        "code": code,
        "redirect_status": status,
        "expires_at": expires_at,
        "forward_query": forward_query,
        "max_clicks": max_clicks,
    }
    link_in = LinkCreate.model_validate(fields)
    return await create_link(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        link_in=link_in,
        target_url=prepare_target(link_in, short_base=settings.short_base, blocked_domains=[]),
        owner_id=owner_id,
        code_length=settings.code_length,
    )


def held_shards(worker: Process) -> set[int]:
    """The click shards ``worker`` holds, as its log tells (each process logs to a file of its own)."""
    held: set[int] = set()
    for action, shard in SHARD_LOG.findall(worker.log()):
        if action == "took":
            held.add(int(shard))
        else:
            held.discard(int(shard))
    return held
