"""The edge on Granian.

Granian starts its worker processes itself and each worker builds the app from the factory,
which reads the settings from the environment: so whatever the CLI overrides is exported to
the environment first, and every worker sees the same settings.

Slow clients: each worker holds at most ``HOP_EDGE_MAX_CONNECTIONS`` connections (Granian's
``backpressure``, a semaphore taken before ``accept``), and hyper closes a connection that has not
sent a whole request head within ``HOP_EDGE_HEADER_TIMEOUT`` (also the idle keep-alive limit). A
full worker does not answer 503: Granian 2.8 has no such mode, it stops accepting, and new
connections wait in the kernel's listen backlog until a held one closes. The header timeout
bounds that wait: half-sent requests cannot hold a slot longer than it (docs/security.md).
"""

from __future__ import annotations

import logging
import resource
from typing import TypedDict

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops, RuntimeModes
from granian.http import HTTP1Settings
from granian.server import MPServer, MTServer

from common.settings import EdgeSettings

EDGE_TARGET = "edge.app:app_factory"
# Descriptors a worker needs besides its client connections: Redis, Postgres, logs, the listener.
_SPARE_FDS = 256

logger = logging.getLogger("hop.edge.server")


class GranianOptions(TypedDict):
    """Granian's keyword arguments the edge sets; mypy checks each against Granian's signature."""

    address: str
    port: int
    interface: Interfaces
    workers: int
    loop: Loops
    http: HTTPModes
    runtime_mode: RuntimeModes
    websockets: bool
    backlog: int
    backpressure: int
    http1_settings: HTTP1Settings
    log_access: bool
    workers_kill_timeout: int


def edge_options(settings: EdgeSettings) -> GranianOptions:
    """The edge's Granian options, which bench/ also runs its ceilings on so that ratios compare like with like.

    Measured as fastest on this kind of machine (see bench/NOTES.md): uvloop, HTTP/1 only (short
    links are plain GETs; no h2 negotiation per connection), the single-threaded runtime (one
    Python thread per worker: nothing to gain from more), and keep-alive on.
    """
    return {
        "address": settings.edge_host,
        "port": settings.edge_port,
        "interface": Interfaces.ASGI,
        "workers": settings.edge_workers,
        "loop": Loops.uvloop,
        "http": HTTPModes.http1,
        "runtime_mode": RuntimeModes.st,
        "websockets": False,
        "backlog": settings.edge_backlog,
        # Per worker: connections beyond it are not accepted (they queue in the backlog).
        "backpressure": settings.edge_max_connections,
        "http1_settings": HTTP1Settings(
            keep_alive=True, header_read_timeout=max(1, round(settings.edge_header_timeout * 1000))
        ),
        "log_access": False,
        "workers_kill_timeout": int(settings.shutdown_grace) + 5,
    }


def raise_open_files_limit(connections: int) -> None:
    """Let each worker hold ``connections`` sockets: raise the soft RLIMIT_NOFILE (inherited by the
    workers) up to the hard one. Past the limit accept() fails with EMFILE instead of queueing."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + _SPARE_FDS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
        if new_soft < wanted:
            logger.warning(
                "open files limited to %d: HOP_EDGE_MAX_CONNECTIONS=%d needs %d", new_soft, connections, wanted
            )


def edge_server(settings: EdgeSettings) -> MPServer | MTServer:
    """The edge on Granian, with ``edge_options``."""
    raise_open_files_limit(settings.edge_max_connections)
    return Granian(EDGE_TARGET, factory=True, **edge_options(settings))
