"""`hop dev`: everything on one machine, with embedded Valkey and Postgres when none is configured.

The admin serves the dashboard when it is built (`make dashboard`); ``--hmr`` also runs Vite's dev
server on the dashboard's sources (hot reload), which proxies /api to the admin.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
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
from common.settings import ENV_PREFIX, REPOSITORY_DASHBOARD, Settings, load_settings_or_exit

logger = logging.getLogger("hop.dev")


@dataclass(frozen=True, slots=True)
class DevProcess:
    name: str
    argv: list[str]

    def url(self, settings: Settings) -> str | None:
        if self.name == "edge":
            return f"{settings.short_base}/"
        if self.name == "admin":
            return f"{admin_url(settings)}/docs"
        return None


DEV_PROCESSES = [
    DevProcess("edge", ["edge"]),
    DevProcess("admin", ["admin"]),
    DevProcess("worker", ["worker"]),
]


def _hop(*args: str) -> list[str]:
    return [sys.executable, "-m", "hop", *args]


# The checkout's dashboard/ (whose dist/ the admin serves): `hop dev --hmr` runs Vite on its sources.
DASHBOARD_SOURCES = REPOSITORY_DASHBOARD.parent
CLI_ADMIN = (
    "`hop user create --admin you@example.com` (in another terminal, from this directory: it finds these stores "
    "by itself; `.venv/bin/hop` outside the virtualenv)"
)
FIRST_ADMIN_HINT = f"No admin yet: create one with {CLI_ADMIN}."
NOT_BUILT = "the dashboard is not built: `make dashboard` builds it (Node.js 20 and npm), then restart `hop dev`"


def admin_url(settings: Settings) -> str:
    return f"http://{settings.admin_host}:{settings.admin_port}"


def vite_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.dev_dashboard_port}/"


def run_dev(settings: Settings, *, hmr: bool = False) -> int:
    """Start stores (embedded when unset), migrate, run every process until Ctrl-C or SIGTERM;
    with ``hmr``, Vite's dev server on the dashboard's sources too.

    While it runs, ``{data_dir}/dev-stores.json`` tells other `hop` commands which stores it uses.
    """
    running = read_live_state(settings.data_dir)
    if running is not None:
        print(f"hop: `hop dev` is already running (pid {running.pid}) with {settings.data_dir}", file=sys.stderr)
        return 1
    if hmr and (problem := _prepare_vite()) is not None:
        print(f"hop: `hop dev --hmr`: {problem}", file=sys.stderr)
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
        if hmr:
            children.append(_start_vite(settings))
        _announce(settings, redis_url, database_url, hmr=hmr)
        hint = first_admin_hint(settings, *asyncio.run(_accounts(settings)), hmr=hmr)
        if hint:
            print(hint + "\n", flush=True)
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


async def _accounts(settings: Settings) -> tuple[bool, bool]:
    """Whether any user exists, and whether an admin does."""
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        row = await conn.fetchrow(
            "SELECT EXISTS (SELECT 1 FROM users) AS users, EXISTS (SELECT 1 FROM users WHERE role = 'admin') AS admins"
        )
    finally:
        await conn.close()
    assert row is not None, "a SELECT without FROM returns one row"
    return bool(row["users"]), bool(row["admins"])


def first_admin_hint(settings: Settings, users: bool, admins: bool, *, hmr: bool) -> str | None:
    """How to create the first admin: the dashboard's first-run page while no user exists, else the CLI."""
    if admins:
        return None
    if users:  # the dashboard's set-up page is for an empty instance only
        return FIRST_ADMIN_HINT
    if hmr:
        return f"No users yet: open {vite_url(settings)} to create the first admin, or use {CLI_ADMIN}."
    if settings.admin_dashboard_dir is None:
        return f"No users yet: create the first admin with {CLI_ADMIN}, or build the dashboard and open it."
    return f"No users yet: open {admin_url(settings)}/ to create the first admin, or use {CLI_ADMIN}."


def _announce(settings: Settings, redis_url: str, database_url: str, *, hmr: bool) -> None:
    lines = [f"Hop is running. Open the dashboard: {admin_url(settings)}/"]
    if settings.admin_dashboard_dir is None:
        lines.append(f"  ({NOT_BUILT})")
    if hmr:
        lines.append(f"  dashboard with hot reload (Vite): {vite_url(settings)}")
    lines += [f"  {p.name:<7} {p.url(settings)}" for p in DEV_PROCESSES if p.url(settings)]
    print("\n" + "\n".join(lines), flush=True)
    print(f"  redis   {redis_url}\n  pg      {database_url}\nCtrl-C stops everything.\n", flush=True)


def _prepare_vite() -> str | None:
    """Install the dashboard's packages when they are missing; why Vite's dev server cannot run, or None."""
    if not (DASHBOARD_SOURCES / "package.json").is_file():
        return f"the dashboard's sources are not here ({DASHBOARD_SOURCES}): run it from a checkout"
    if shutil.which("npm") is None:
        return "npm is not on PATH (the dashboard needs Node.js 20 and npm)"
    if not (DASHBOARD_SOURCES / "node_modules").is_dir():
        if subprocess.run(["npm", "ci"], cwd=DASHBOARD_SOURCES).returncode != 0:
            return f"`npm ci` failed in {DASHBOARD_SOURCES}"
    return None


def _start_vite(settings: Settings) -> subprocess.Popen[bytes]:
    """`npm run dev` in dashboard/, in a process group of its own so that stopping it stops the Vite
    server npm started too (and Ctrl-C reaches it through `hop dev`, like the others)."""
    port = str(settings.dev_dashboard_port)
    # vite.config.ts proxies /api to HOP_ADMIN_URL.
    env = os.environ | {"HOP_ADMIN_URL": admin_url(settings)}
    argv = ["npm", "run", "dev", "--", "--host", "127.0.0.1", "--port", port, "--strictPort"]
    return subprocess.Popen(argv, cwd=DASHBOARD_SOURCES, env=env, process_group=0)


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
            _signal(child, signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal(child, signal.SIGKILL)


def _signal(child: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    """Signal a child, or its whole process group when it leads one (npm and the Vite server under it)."""
    try:
        if os.getpgid(child.pid) == child.pid:
            os.killpg(child.pid, signum)
        else:
            child.send_signal(signum)
    except ProcessLookupError:
        pass  # it has just exited
