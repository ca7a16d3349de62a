"""A TCP proxy in front of Postgres that a test or the fault suite can cut and restore: a real outage.

The proxy runs its own event loop in a thread, so sync code (a TestClient test, bench/faults.py)
can drive it. ``cut()`` stops listening and resets every open connection, as a crashed or
unreachable server would; ``restore()`` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

from harness.processes import free_port

T = TypeVar("T")
Opener = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


def upstream_opener(database_url: str) -> Opener:
    """How to reach the Postgres of ``database_url``: TCP, or the Unix socket of an embedded server."""
    parts = urlsplit(database_url)
    port = parts.port or 5432
    socket_dir = parse_qs(parts.query).get("host", [None])[0]
    if parts.hostname is None and socket_dir:
        path = f"{socket_dir}/.s.PGSQL.{port}"
        return lambda: asyncio.open_unix_connection(path)
    host = parts.hostname or "127.0.0.1"
    return lambda: asyncio.open_connection(host, port)


def proxied_url(database_url: str, port: int) -> str:
    """``database_url`` pointed at 127.0.0.1:``port``, user, password and database kept."""
    parts = urlsplit(database_url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    query = "&".join(item for item in parts.query.split("&") if item and not item.startswith("host="))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class PostgresProxy:
    """Forwards 127.0.0.1:``port`` to the real Postgres until cut."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = proxied_url(database_url, self.port)
        self._open_upstream = upstream_opener(database_url)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pg-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def start(self) -> None:
        self._thread.start()
        self.restore()

    def restore(self) -> None:
        """Listen again (same port): new connections reach Postgres."""
        self._run(self._listen())

    def cut(self) -> None:
        """Stop listening and reset every open connection: Postgres is unreachable."""
        self._run(self._cut())

    def stop(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await self._open_upstream()
        except OSError:
            client_writer.transport.abort()
            return
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(
            _pipe(client_reader, server_writer), _pipe(server_reader, client_writer), return_exceptions=True
        )
        self._writers -= {client_writer, server_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()
