"""A real `hop admin` (Granian) process on a free port, for end-to-end and fuzz tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common.settings import Settings
from tests.servers import free_port, settings_env, wait_for_log


@contextmanager
def running_admin(settings: Settings, log_path: Path) -> Iterator[str]:
    """Yields the base URL of a started admin process; SIGTERM and wait on exit."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "admin.cli", "admin", "--port", str(port)],
            env=settings_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_log(process, log_path, "admin worker ready")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
