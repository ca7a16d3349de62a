"""The admin API on Granian; each Granian worker builds the app from ``admin.app:app_factory``.

Slow clients, as on the edge (edge/server.py): each worker holds at most ``HOP_ADMIN_MAX_CONNECTIONS``
connections (Granian's ``backpressure``; beyond it new connections wait in the listen backlog), and
hyper closes a connection that has not sent a whole request head within ``HOP_ADMIN_HEADER_TIMEOUT``
(also the idle keep-alive limit). Granian has no body timeout: ``BodyLimitMiddleware``
(admin/body_limit.py) answers 408 to a body that does not arrive in time.
"""

from __future__ import annotations

from typing import Any

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops
from granian.http import HTTP1Settings
from granian.server.common import AbstractServer

from common.settings import AdminSettings

ADMIN_TARGET = "admin.app:app_factory"


# Any: Granian's worker type is processes or threads depending on the Python build (GIL or not).
def admin_server(settings: AdminSettings) -> AbstractServer[Any]:
    return Granian(
        ADMIN_TARGET,
        factory=True,
        address=settings.admin_host,
        port=settings.admin_port,
        interface=Interfaces.ASGI,
        workers=settings.admin_workers,
        loop=Loops.uvloop,
        # HTTP/1 only: in auto mode Granian never closed a connection that sent nothing, or an h2
        # preface and nothing (the header timeout is HTTP/1's). TLS and h2 are the proxy's.
        http=HTTPModes.http1,
        websockets=False,
        # Per worker: connections beyond it are not accepted (they queue in the backlog).
        backpressure=settings.admin_max_connections,
        http1_settings=HTTP1Settings(header_read_timeout=max(1, round(settings.admin_header_timeout * 1000))),
        log_access=False,
        workers_kill_timeout=int(settings.shutdown_grace) + 5,
    )
