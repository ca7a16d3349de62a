"""`hop dev`: everything on one machine, with embedded Valkey and Postgres when none is configured."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import asyncpg

from common.db import connect_kwargs
from common.devstate import DevStores, read_live_state, remove_state, write_state
from common.migrate import migrate_database
from common.services import EmbeddedServices, find_or_start
from common.settings import ENV_PREFIX, Settings, load_settings_or_exit

logger = logging.getLogger("hop.dev")


@dataclass(frozen=True, slots=True)
class DevProcess:
    name: str
    argv: list[str]

    def url(self, settings: Settings) -> str | None:
        if self.name == "edge":
            return f"{settings.short_base}/"
        if self.name == "admin":
            return f"http://{settings.admin_host}:{settings.admin_port}/docs"
        return None


DEV_PROCESSES = [
    DevProcess("edge", ["edge"]),
    DevProcess("admin", ["admin"]),
    DevProcess("worker", ["worker"]),
]


def _hop(*args: str) -> list[str]:
    return [sys.executable, "-m", "hop", *args]


FIRST_ADMIN_HINT = (
    "No admin yet: create one with `hop user create --admin you@example.com` (in another terminal, from this "
    "directory: it finds these stores by itself; `.venv/bin/hop` outside the virtualenv)."
)


def run_dev(settings: Settings) -> int:
    """Start stores (embedded when unset), migrate, run every process until Ctrl-C or SIGTERM.

    While it runs, ``{data_dir}/dev-stores.json`` tells other `hop` commands which stores it uses.
    """
    running = read_live_state(settings.data_dir)
    if running is not None:
        print(f"hop: `hop dev` is already running (pid {running.pid}) with {settings.data_dir}", file=sys.stderr)
        return 1
    services = EmbeddedServices(data_dir=settings.data_dir, redis_port=settings.dev_redis_port)
    children: list[subprocess.Popen[bytes]] = []
    try:
        redis_url, database_url = _stores(services, settings)
        os.environ[f"{ENV_PREFIX}REDIS_URL"] = redis_url
        os.environ[f"{ENV_PREFIX}DATABASE_URL"] = database_url
        settings = load_settings_or_exit(Settings)
        asyncio.run(migrate_database(settings))
        _record_stores(settings, redis_url, database_url)
        for process in DEV_PROCESSES:
            children.append(subprocess.Popen(_hop(*process.argv)))
        _announce(settings, redis_url, database_url)
        if not asyncio.run(_has_admin(settings)):
            print(FIRST_ADMIN_HINT + "\n", flush=True)
        return _wait(children)
    finally:
        _stop(children)
        remove_state(settings.data_dir, os.getpid())
        services.close()


def _stores(services: EmbeddedServices, settings: Settings) -> tuple[str, str]:
    try:
        return find_or_start(
            services, redis_url=settings.redis_url, database_url=settings.database_url, try_local=False
        )
    except OSError as error:
        # The embedded Valkey's port is fixed (so that its URL is stable): say which setting moves it.
        raise SystemExit(f"hop: cannot start the embedded valkey: {error} (set HOP_DEV_REDIS_PORT)") from None


def _record_stores(settings: Settings, redis_url: str, database_url: str) -> None:
    state = DevStores(
        pid=os.getpid(),
        redis_url=redis_url,
        database_url=database_url,
        database_schema=settings.database_schema,
        redis_prefix=settings.redis_prefix,
    )
    path = write_state(settings.data_dir, state)
    logger.info("stores recorded in %s for other hop commands", path)


async def _has_admin(settings: Settings) -> bool:
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')")
    finally:
        await conn.close()
    return found


def _announce(settings: Settings, redis_url: str, database_url: str) -> None:
    lines = [f"  {p.name:<7} {p.url(settings)}" for p in DEV_PROCESSES if p.url(settings)]
    print("\nHop is running:\n" + "\n".join(lines), flush=True)
    print(f"  redis   {redis_url}\n  pg      {database_url}\nCtrl-C stops everything.\n", flush=True)


def _wait(children: list[subprocess.Popen[bytes]]) -> int:
    stop = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while not stop:
        for child in children:
            if child.poll() is not None:
                logger.error("%s exited with status %s; stopping everything", child.args, child.returncode)
                return 1
        time.sleep(0.2)
    return 0


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    # SIGTERM lets the edge flush its clicks and the worker finish its transaction.
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
