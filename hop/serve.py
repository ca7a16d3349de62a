"""Running a Granian process group (`hop edge`, `hop admin`) with its summed metrics port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from granian.server.common import AbstractServer

from common.logs import configure_logging
from common.metrics import MetricsPortError, metrics_for_group
from common.settings import CoreSettings
from hop.commands.support import fail

S = TypeVar("S", bound=CoreSettings)


def serve_group(group: str, settings: S, *, port: int, setting: str, build: Callable[[S], AbstractServer[Any]]) -> int:
    """Serve until Granian stops; 1 with one line naming ``setting`` when the metrics port is taken."""
    try:
        # Before Granian forks its workers: they inherit the metrics directory from this process.
        with metrics_for_group(
            group=group, host=settings.metrics_host, port=port, base_dir=settings.metrics_dir, setting=setting
        ):
            server = build(settings)
            configure_logging(settings)  # Granian's constructor configured its loggers: take them over
            server.serve()
    except MetricsPortError as error:
        return fail(str(error))
    return 0
