"""Starting and stopping the servers under test as real processes, each logging to its own file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes."""
        return sum(_cpu_seconds(pid) for pid in _process_tree(self.process.pid))

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM (the edge flushes its click buffer), then wait; kill only if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait()
        return self.process.returncode


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def _wait_for(server: Server, markers: list[tuple[str, int]]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        text = server.log()
        if all(text.count(marker) >= count for marker, count in markers):
            return
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{text}")
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"{server.name} not ready after {STARTUP_TIMEOUT_S}s:\n{server.log()}")


def _spawn(
    name: str, command: list[str], *, env: dict[str, str], log_dir: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, log_path


def start_edge(*, env: dict[str, str], workers: int, log_dir: Path, name: str) -> Server:
    port = free_port()
    env = {**env, "HOP_EDGE_PORT": str(port), "HOP_EDGE_WORKERS": str(workers)}
    process, log_path = _spawn(name, [sys.executable, "-m", "admin.cli", "edge"], env=env, log_dir=log_dir)
    server = Server(name, process, port, log_path)
    _wait_for(server, [("edge worker", workers), ("Started worker", workers)])
    return server


def start_ceiling(kind: str, *, env: dict[str, str], workers: int, log_dir: Path, name: str) -> Server:
    port = free_port()
    env = {**env, "HOP_EDGE_PORT": str(port), "HOP_EDGE_WORKERS": str(workers)}
    command = [sys.executable, "-m", "bench.ceilings.serve", kind]
    process, log_path = _spawn(name, command, env=env, log_dir=log_dir)
    server = Server(name, process, port, log_path)
    _wait_for(server, [("ceiling worker", workers), ("Started worker", workers)])
    return server


def start_nginx(nginx: str, conf: Path, *, port: int, log_dir: Path, name: str) -> Server:
    process, log_path = _spawn(
        name, [nginx, "-c", str(conf), "-e", str(log_dir / "nginx-error.log")], env={}, log_dir=log_dir
    )
    server = Server(name, process, port, log_path)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{server.log()}")
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("nginx did not start listening")
