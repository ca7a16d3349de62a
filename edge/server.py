"""The edge on Granian.

Granian starts its worker processes itself and each worker builds the app from the factory,
which reads the settings from the environment: so whatever the CLI overrides is exported to
the environment first, and every worker sees the same settings.
"""

from __future__ import annotations

from typing import TypedDict

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops, RuntimeModes
from granian.http import HTTP1Settings
from granian.server import MPServer, MTServer

from common.settings import EdgeSettings

EDGE_TARGET = "edge.app:app_factory"


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
        "http1_settings": HTTP1Settings(keep_alive=True),
        "log_access": False,
        "workers_kill_timeout": int(settings.shutdown_grace) + 5,
    }


def edge_server(settings: EdgeSettings) -> MPServer | MTServer:
    """The edge on Granian, with ``edge_options``."""
    return Granian(EDGE_TARGET, factory=True, **edge_options(settings))
