"""The processes a load test runs against: the edge, and the admin API when the checkout has one."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from redis.asyncio import Redis

from bench import processes, seed
from common.settings import ENV_PREFIX, Settings, settings_environment

ROOT = Path(__file__).resolve().parent.parent
ADMIN_APP = ROOT / "admin" / "app.py"
ADMIN_READY_TIMEOUT_S = 60


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process load exactly ``settings``."""
    # The readiness lines are logged at INFO.
    return settings_environment(settings, os.environ, log_level="INFO")


def admin_available() -> bool:
    """The admin API is part of this checkout (it is started only then)."""
    return ADMIN_APP.exists()


def admin_importable() -> bool:
    try:
        import_module("admin.app")
    except ImportError:
        return False
    return True


@dataclass
class Stack:
    edge: processes.Server
    admin: processes.Server | None
    codes_file: Path
    servers: list[processes.Server] = field(default_factory=list)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def seed_codes(settings: Settings, *, links: int, directory: Path) -> Path:
    """Seed ``links`` links (Postgres and Redis); returns the file of their codes, most popular first."""
    codes = seed.make_codes(links)

    async def go() -> None:
        redis = Redis.from_url(str(settings.redis_url))
        try:
            await seed.seed_links(settings, redis, codes)
        finally:
            await redis.aclose()

    asyncio.run(go())
    path = directory / "codes.txt"
    path.write_text("\n".join(codes) + "\n")  # codes are random, so file order is as good as any ranking
    return path


def start_admin(env: dict[str, str], *, log_dir: Path) -> processes.Server:
    port = processes.free_port()
    env = {**env, f"{ENV_PREFIX}ADMIN_PORT": str(port), f"{ENV_PREFIX}ADMIN_WORKERS": "1"}
    log_path = log_dir / "admin.log"
    with log_path.open("wb") as log:
        process = processes.subprocess.Popen(
            [sys.executable, "-m", "admin.cli", "admin"], env=env, stdout=log, stderr=processes.subprocess.STDOUT
        )
    server = processes.Server("admin", process, port, log_path)
    deadline = time.monotonic() + ADMIN_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"admin exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/openapi.json", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"admin not ready after {ADMIN_READY_TIMEOUT_S}s:\n{server.log()}")


def start_stack(settings: Settings, *, links: int, log_dir: Path, with_admin: bool = True) -> Stack:
    """Seed links, start the edge (one worker) and, when it exists and is wanted, the admin API."""
    codes_file = seed_codes(settings, links=links, directory=log_dir)
    env = settings_env(settings)
    edge = processes.start_edge(env=env, workers=1, log_dir=log_dir, name="edge")
    stack = Stack(edge=edge, admin=None, codes_file=codes_file, servers=[edge])
    if with_admin and admin_available():
        try:
            stack.admin = start_admin(env, log_dir=log_dir)
        except BaseException:
            stack.stop()
            raise
        stack.servers.append(stack.admin)
    return stack
