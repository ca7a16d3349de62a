"""Real Hop processes (and other servers) for tests, benchmarks and load tests.

Every process logs to its own file; starting one waits until its log shows it is ready (or it
dies, with the log in the error); stopping sends SIGTERM, waits, and kills only if it hangs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.settings import CoreSettings, settings_environment

STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
_POLL_S = 0.05
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# What each Hop process logs once per Granian worker (or once) when it is ready to serve.
SERVER_READY = {"edge": ("edge worker", "Started worker"), "admin": ("admin worker ready", "Started worker")}
WORKER_READY = ("started (",)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hop_command(*args: str) -> list[str]:
    """The `hop` command line, run by this interpreter."""
    return [sys.executable, "-m", "hop", *args]


def settings_env(settings: CoreSettings, **extra: object) -> dict[str, str]:
    """This process's environment with HOP_* replaced by exactly ``settings`` (and ``extra``);
    INFO logging unless ``extra`` says otherwise, because readiness is read from the log."""
    return settings_environment(settings, os.environ, **{"log_level": "INFO", **extra})


@dataclass
class Process:
    """A started server process and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None
    metrics_port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str | None:
        """The private metrics port's URL; None when metrics are off (port 0)."""
        return f"http://127.0.0.1:{self.metrics_port}" if self.metrics_port else None

    @property
    def pid(self) -> int:
        return self.process.pid

    def scrape(self) -> str:
        """The process group's /metrics text (Prometheus exposition format).

        Raises:
            RuntimeError: it was started without a metrics port.
            OSError: the port did not answer.
        """
        if self.metrics_url is None:
            raise RuntimeError(f"{self.name} was started without a metrics port")
        with urllib.request.urlopen(f"{self.metrics_url}/metrics", timeout=5) as response:
            return str(response.read().decode())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, *markers: str, count: int = 1, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Until each marker is in the log ``count`` times.

        Raises:
            RuntimeError: the process exited first, or the markers did not appear in time (it is killed).
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if all(text.count(marker) >= count for marker in markers):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{text}")
            time.sleep(_POLL_S)
        self.kill()
        raise RuntimeError(f"{self.name}: {markers} not seen {count}x after {timeout:.0f}s:\n{self.log()}")

    def wait_for_port(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Until the process accepts connections on its port (for servers that log nothing useful)."""
        assert self.port is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(_POLL_S)
        self.kill()
        raise RuntimeError(f"{self.name} did not listen on {self.port} after {timeout:.0f}s:\n{self.log()}")

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM (the edge flushes its clicks, the worker finishes its transaction), then wait.

        Raises:
            subprocess.TimeoutExpired: it did not exit within ``timeout``.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> int:
        """SIGKILL it and its children at once, as the death of its container would, then wait.

        The children too: Granian's workers, which hold the edge's click buffers, would otherwise
        live on as orphans, serve and flush at their leisure.
        """
        if self.process.poll() is None:
            for pid in _process_tree(self.process.pid):  # the parent first: it cannot respawn a worker
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and wait; SIGKILL only if it hangs. Returns the exit status."""
        try:
            return self.terminate(timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the process and its children (Granian's workers)."""
        return sum(_cpu_seconds(pid) for pid in _process_tree(self.process.pid))


def spawn(
    name: str,
    command: Sequence[str],
    *,
    env: dict[str, str],
    log_path: Path,
    port: int | None = None,
    metrics_port: int | None = None,
    cwd: Path | None = None,
) -> Process:
    """Start ``command`` with its output appended to ``log_path``; returns at once."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(list(command), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    return Process(name=name, process=process, log_path=log_path, port=port, metrics_port=metrics_port)


def start_edge(
    settings: CoreSettings,
    *,
    log_path: Path,
    workers: int = 1,
    metrics: bool = False,
    source: Path | None = None,
    **extra: object,
) -> Process:
    """`hop edge` on a free port (and a free metrics port with ``metrics``), ready to serve; with
    ``source``, the Hop whose code is in that directory (another revision, for a before/after run)."""
    return _start_server(
        "edge", settings, log_path=log_path, workers=workers, metrics=metrics, source=source, extra=extra
    )


def start_admin(
    settings: CoreSettings, *, log_path: Path, workers: int = 1, metrics: bool = False, **extra: object
) -> Process:
    """`hop admin` on a free port (and a free metrics port with ``metrics``), ready to serve."""
    return _start_server("admin", settings, log_path=log_path, workers=workers, metrics=metrics, extra=extra)


def _start_server(
    group: str,
    settings: CoreSettings,
    *,
    log_path: Path,
    workers: int,
    metrics: bool,
    source: Path | None = None,
    extra: dict[str, object],
) -> Process:
    # The edge's and the admin's settings are named alike: HOP_EDGE_PORT, HOP_ADMIN_PORT, ...
    port, metrics_port = free_port(), free_port() if metrics else 0
    ports = {f"{group}_port": port, f"{group}_workers": workers, f"{group}_metrics_port": metrics_port}
    env = settings_env(settings, **ports, **extra)
    if source is not None:
        # `python -m` puts its working directory first on sys.path, then PYTHONPATH: both name the
        # source, so its files are imported, never the installed Hop's.
        env["PYTHONPATH"] = str(source)
    command = hop_command(group)
    process = spawn(group, command, env=env, log_path=log_path, port=port, metrics_port=metrics_port, cwd=source)
    process.wait_for_log(*SERVER_READY[group], count=workers)
    return process


def start_worker(settings: CoreSettings, *, log_path: Path, args: Sequence[str] = (), **extra: object) -> Process:
    """`hop worker` (with ``args``), started; a log that already holds earlier runs is appended to."""
    seen = log_path.read_text(errors="replace").count(WORKER_READY[0]) if log_path.exists() else 0
    process = spawn("worker", hop_command("worker", *args), env=settings_env(settings, **extra), log_path=log_path)
    process.wait_for_log(*WORKER_READY, count=seen + 1)
    return process


def run_hop(
    settings: CoreSettings, *args: str, stdin: str | None = None, timeout: float = 120, **extra: object
) -> subprocess.CompletedProcess[str]:
    """Run a one-shot `hop` command to completion with ``settings``; its output is captured."""
    env = settings_env(settings, **extra)
    return subprocess.run(hop_command(*args), env=env, input=stdin, capture_output=True, text=True, timeout=timeout)


def _process_tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        try:
            with open(f"/proc/{pids[index]}/task/{pids[index]}/children") as children:
                pids += [int(child) for child in children.read().split()]
        except OSError:
            pass
        index += 1
    return pids


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # exited
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime
