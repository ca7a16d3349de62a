"""The admin API on Granian; each Granian worker builds the app from ``admin.app:app_factory``."""

from __future__ import annotations

from typing import Any

from granian import Granian
from granian.constants import Interfaces, Loops
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
        websockets=False,
        log_access=False,
        workers_kill_timeout=int(settings.shutdown_grace) + 5,
    )
