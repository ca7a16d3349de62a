"""A small, fast HTTP/1.1 keep-alive client for driving real servers in tests.

httpx spends most of a test's time in its own machinery at thousands of requests; this client
does one thing (GET/HEAD with keep-alive over many connections) and tells what came back.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlsplit

ERROR = 0  # the status recorded for a request that got no HTTP answer


async def _connection(host: str, port: int, paths: Sequence[str], method: str, statuses: Counter[int]) -> None:
    reader = writer = None
    for path in paths:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: hop-tests\r\n\r\n".encode())
            assert reader is not None
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lowered = head.lower()
            length = 0
            if b"content-length:" in lowered:
                length = int(lowered.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            if length and method != "HEAD":
                await reader.readexactly(length)
            statuses[status] += 1
            if b"connection: close" in lowered:
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError):
            statuses[ERROR] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def send_requests(
    base_url: str, paths: Sequence[str], *, concurrency: int = 100, method: str = "GET"
) -> Counter[int]:
    """Send one request per path over ``concurrency`` keep-alive connections; count the statuses."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    statuses: Counter[int] = Counter()
    lanes = [paths[lane::concurrency] for lane in range(concurrency)]
    await asyncio.gather(*(_connection(host, port, lane, method, statuses) for lane in lanes if lane))
    return statuses


# --- raw connections, for slow-client tests: held open, timed, watched until the server closes them

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def open_held(url: str, payloads: list[bytes]) -> list[Connection]:
    """One connection per payload, each sent and then held open (nothing more is ever written)."""
    parts = urlsplit(url)
    connections = []
    for payload in payloads:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        writer.write(payload)
        connections.append((reader, writer))
    await asyncio.gather(*(writer.drain() for _, writer in connections))
    return connections


async def timed_request(url: str, request: bytes, timeout: float) -> tuple[bytes, float]:
    """``request`` on a new connection: the status line, and seconds until it came."""
    parts = urlsplit(url)
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    finally:
        writer.close()
    return head.split(b"\r\n", 1)[0], time.monotonic() - started


async def answer_until_closed(connection: Connection, started: float, timeout: float) -> tuple[bytes, float]:
    """All the server sent before it closed ``connection`` (EOF), and when it closed, from ``started``."""
    reader, writer = connection
    try:
        answer = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    return answer, time.monotonic() - started
