"""Running Hop's HTTP processes on Granian.

Granian starts its worker processes itself and each worker builds the app from the factory,
which reads the settings from the environment: so whatever the CLI overrides is exported to
the environment first, and every worker sees the same settings.
"""

from __future__ import annotations

from typing import Any

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops, RuntimeModes
from granian.http import HTTP1Settings

from common.settings import Settings

EDGE_TARGET = "edge.app:app_factory"
ADMIN_TARGET = "admin.app:app_factory"


def edge_options(settings: Settings) -> dict[str, Any]:
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


def edge_server(settings: Settings) -> Granian:
    """The edge on Granian, with ``edge_options``."""
    return Granian(EDGE_TARGET, factory=True, **edge_options(settings))


def admin_server(settings: Settings) -> Granian:
    return Granian(
        ADMIN_TARGET,
        factory=True,
        address=settings.admin_host,
        port=settings.admin_port,
        interface=Interfaces.ASGI,
        workers=settings.admin_workers,
        loop=Loops.uvloop,
        websockets=False,
        log_access=False,
        workers_kill_timeout=int(settings.shutdown_grace) + 5,
    )
