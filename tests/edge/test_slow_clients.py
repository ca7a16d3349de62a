"""Slow clients against a real `hop edge`: half-sent request heads cannot hold the edge.

A worker holds at most HOP_EDGE_MAX_CONNECTIONS connections and closes one that has not sent a
whole request head within HOP_EDGE_HEADER_TIMEOUT; connections beyond the limit wait in the listen
backlog (Granian has no 503-when-full). So a normal client behind N half-open connections is
served within about ceil(N / limit) header timeouts. Everything here goes to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import math
import time
from urllib.parse import urlsplit

import pytest

from common.settings import Settings
from common.stores import open_stores
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link
from tests.traffic import Connection, answer_until_closed, open_held, timed_request

pytestmark = pytest.mark.e2e

HALF_SENT = b"GET /slow HTTP/1.1\r\nHost: short.test\r\nUser-Agent: slowloris\r\n"  # no blank line: never ends
WHOLE = b"GET /slow HTTP/1.1\r\nHost: short.test\r\n\r\n"


async def seconds_until_closed(connection: Connection, started: float, timeout: float) -> float:
    """When the server closed ``connection``, from ``started``; it must have sent nothing (no request to answer)."""
    answer, seconds = await answer_until_closed(connection, started, timeout)
    assert answer == b""
    return seconds


async def add_one_link(settings: Settings) -> None:
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="slow")


@pytest.mark.slow
async def test_half_sent_heads_beyond_the_limit_are_closed_and_a_normal_client_still_gets_through(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    limit, header_timeout, half_open = 16, 1.0, 48
    settings = settings_factory(edge_max_connections=limit, edge_header_timeout=header_timeout)
    await add_one_link(settings)
    edge = edge_factory(settings, workers=1)

    started = time.monotonic()
    slow = await open_held(edge.url, [HALF_SENT] * half_open)
    # Queued behind 48 half-open connections, 16 at a time, each held for one header timeout.
    rounds = math.ceil((half_open + 1) / limit) - 1
    status, waited = await timed_request(edge.url, WHOLE, timeout=rounds * header_timeout + 5)
    closed = await asyncio.gather(*(seconds_until_closed(c, started, timeout=10) for c in slow))

    assert status == b"HTTP/1.1 302 Found"
    # It had to wait for slots (the limit holds), and no longer than the rounds ahead of it.
    assert 0.9 * header_timeout <= waited <= rounds * header_timeout + 1.5, waited
    # Every half-sent connection was closed by the header timeout: none before it, all within the rounds.
    assert min(closed) >= 0.9 * header_timeout, sorted(closed)[:3]
    assert max(closed) <= rounds * header_timeout + 1.5, sorted(closed)[-3:]


@pytest.mark.slow
async def test_two_thousand_one_hundred_half_sent_heads_do_not_stall_the_edge_at_its_defaults(
    settings: Settings, edge_factory: ProcessFactory
) -> None:
    # The reproduction: 2,100 half-sent heads used to fill the one worker's 2,048 slots
    # (Granian's backlog // workers) and leave a visitor unanswered for Granian's 30 s header timeout.
    await add_one_link(settings)
    edge = edge_factory(settings, workers=1)
    slow = await open_held(edge.url, [HALF_SENT] * 2_100)
    try:
        status, waited = await timed_request(edge.url, WHOLE, timeout=10)
    finally:
        for _, writer in slow:
            writer.close()
    assert status == b"HTTP/1.1 302 Found"
    assert waited < 1.0


async def test_an_idle_keep_alive_connection_is_closed_after_the_header_timeout(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(edge_header_timeout=0.5)
    await add_one_link(settings)
    edge = edge_factory(settings, workers=1)
    parts = urlsplit(edge.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(WHOLE)
    head = await reader.readuntil(b"\r\n\r\n")
    answered = time.monotonic()
    assert head.startswith(b"HTTP/1.1 302")

    idle = await seconds_until_closed((reader, writer), answered, timeout=5)

    assert 0.4 <= idle <= 2.0
