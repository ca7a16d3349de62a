"""Prometheus metrics for every Hop process, summed over Granian's worker processes.

How it fits together:

- ``hop edge`` / ``hop admin`` wrap Granian in ``metrics_for_group``: it gives the process group a
  fresh prometheus-client multiprocess directory (exported as PROMETHEUS_MULTIPROC_DIR, so the
  forked workers write their samples there) and serves the sum of every worker's samples on a
  private port, with /healthz beside /metrics.
- Hot paths keep plain int counters; ``DeltaExporter`` hands their growth to prometheus-client
  counters from a background task (``export_periodically``), so a request pays nothing extra.
- ``hop worker`` is one process: worker/metrics.py serves its own registry with ``serve_metrics``
  (with a readiness callback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

logger = logging.getLogger("hop.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+?_(\d+)\.db$")

ReadyCheck = Callable[[], bool]


class Incrementable(Protocol):
    """A prometheus-client Counter (or a labelled child of one)."""

    def inc(self, amount: float = ...) -> None: ...


class Settable(Protocol):
    """A prometheus-client Gauge (or a labelled child of one)."""

    def set(self, value: float) -> None: ...


class MetricsPortError(Exception):
    """The metrics port could not be bound; the message names the setting."""


# --- the process group's multiprocess directory


def use_multiprocess_dir(path: Path) -> None:
    """Make this process (and every process it forks) write its samples under ``path``."""
    os.environ[MULTIPROC_ENV] = str(path)
    # prometheus-client picks its value class when first imported; re-pick it in case something
    # imported it before the variable was set (Granian forks its workers from this process).
    from prometheus_client import values

    values.ValueClass = values.get_value_class()


def _wipe(path: Path) -> None:
    # Samples of an earlier run would be summed into this one's: counters restart from zero.
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


@contextlib.contextmanager
def multiprocess_dir(base: Path | None, group: str) -> Iterator[Path]:
    """A clean directory for one process group's samples: ``base/group``, or a temporary one removed at exit."""
    if base is not None:
        path = base / group
        path.mkdir(parents=True, exist_ok=True)
        _wipe(path)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix=f"hop-{group}-metrics-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_processes(path: Path) -> None:
    """Drop live gauges of workers that are gone (crashed or respawned), so they are not summed."""
    from prometheus_client import multiprocess

    for name in os.listdir(path):
        match = _LIVE_GAUGE_FILE.match(name)
        if match and not _pid_alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), str(path))


def render_multiprocess(path: Path) -> bytes:
    """The Prometheus text of every sample under ``path``, summed over processes."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    forget_dead_processes(path)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(path))
    return generate_latest(registry)


def render_registry(registry: CollectorRegistry) -> bytes:
    from prometheus_client import generate_latest

    return generate_latest(registry)


# --- the private HTTP endpoint: /metrics, /healthz, /readyz


@dataclass
class MetricsServer:
    """A small threaded HTTP server on the metrics port; ``close`` stops it."""

    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(
    *, host: str, port: int, render: Callable[[], bytes], ready: ReadyCheck | None = None, setting: str = "port"
) -> MetricsServer:
    """Serve ``render()`` at /metrics, liveness at /healthz and ``ready()`` at /readyz, in a daemon thread.

    Raises:
        MetricsPortError: when ``host:port`` cannot be bound (the message names ``setting``).
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                try:
                    self._send(200, render(), CONTENT_TYPE)
                except Exception:
                    logger.exception("rendering metrics failed")
                    self._send(500, b"metrics unavailable\n")
            elif path == "/healthz":
                self._send(200, b"ok\n")
            elif path == "/readyz":
                is_ready = True
                if ready is not None:
                    try:
                        is_ready = ready()
                    except Exception:
                        logger.exception("readiness check failed")
                        is_ready = False
                self._send(200 if is_ready else 503, b"ready\n" if is_ready else b"not ready\n")
            else:
                self._send(404, b"not found\n")

        def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # scrapes every few seconds would drown the real logs

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as error:
        raise MetricsPortError(f"cannot serve metrics on {host}:{port} ({setting}): {error.strerror}") from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"hop-metrics-{port}", daemon=True)
    thread.start()
    return MetricsServer(server=server, thread=thread)


@contextlib.contextmanager
def metrics_for_group(
    *, group: str, host: str, port: int, base_dir: Path | None, setting: str
) -> Iterator[MetricsServer | None]:
    """Around a multi-process server (Granian): samples of every child summed on ``host:port``.

    Port 0 disables metrics: children then keep their counters in memory, unread.

    Raises:
        MetricsPortError: when the port cannot be bound.
    """
    if port == 0:
        yield None
        return
    with multiprocess_dir(base_dir, group) as path:
        use_multiprocess_dir(path)
        server = serve_metrics(host=host, port=port, render=lambda: render_multiprocess(path), setting=setting)
        logger.info("%s metrics on http://%s:%d/metrics", group, host, server.port)
        try:
            yield server
        finally:
            server.close()


# --- plain counters -> Prometheus, off the hot path


@dataclass
class DeltaExporter:
    """Adds the growth of plain int counters to prometheus-client counters, and sets gauges.

    ``counter(read, target)``: ``read()`` returns a monotonically growing int; each ``export``
    adds what it grew by since the last one to ``target`` (a Counter or a labelled child).
    ``gauge(read, target)``: each ``export`` sets ``target`` to ``read()``.
    """

    _counters: list[tuple[Callable[[], int], Incrementable, list[int]]] = field(default_factory=list)
    _gauges: list[tuple[Callable[[], float], Settable]] = field(default_factory=list)

    def counter(self, read: Callable[[], int], target: Incrementable) -> None:
        # Start from the current value: counts from before this exporter existed are not ours to add.
        self._counters.append((read, target, [read()]))

    def gauge(self, read: Callable[[], float], target: Settable) -> None:
        self._gauges.append((read, target))

    def export(self) -> None:
        for read, target, last in self._counters:
            value = read()
            if value > last[0]:
                target.inc(value - last[0])
            last[0] = value
        for read_gauge, gauge in self._gauges:
            gauge.set(read_gauge())


async def export_periodically(exporter: DeltaExporter, interval: float) -> None:
    """``exporter.export()`` every ``interval`` seconds until cancelled (the caller exports once more after)."""
    while True:
        await asyncio.sleep(interval)
        try:
            exporter.export()
        except Exception:
            logger.exception("exporting metrics failed")


def metric_names(text: str) -> set[str]:
    """The sample names in a Prometheus text exposition (for tests and checks)."""
    return {line.split("{", 1)[0].split(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def sample_value(text: str, name: str, labels: Iterable[tuple[str, str]] = ()) -> float:
    """The value of one sample in a Prometheus text exposition; 0.0 when it is absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels)
    prefix = f"{name}{{{wanted}}} " if wanted else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0
