"""`hop worker` as a real process, for crash and lag tests."""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from common.settings import Settings
from tests.servers import settings_env, wait_for_log


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_worker(settings: Settings, log_path: Path, *args: str) -> WorkerProcess:
    seen = log_path.read_text(errors="replace").count("started (") if log_path.exists() else 0
    with log_path.open("ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "admin.cli", "worker", *args],
            env=settings_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_for_log(process, log_path, "started (", count=seen + 1)
    return WorkerProcess(process=process, log_path=log_path)
