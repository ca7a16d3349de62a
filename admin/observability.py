"""The admin API's request id, access log and Prometheus metrics: one pure-ASGI middleware.

- Request id: a well-formed ``X-Request-ID`` from the proxy is kept, else one is made; it is
  echoed in the response and set in ``common.logs.REQUEST_ID`` so every log line of the request
  carries it.
- Metrics: requests by method, route template and status, their duration, and those in flight,
  in prometheus-client multiprocess mode when `hop admin` set it up (common/metrics.py).
- Access log: one line per request with the route template, never the raw path or query (they
  can carry tokens) nor the client address.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.logs import REQUEST_ID

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram
    from starlette.applications import Starlette

logger = logging.getLogger("hop.admin.access")

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{8,128}$")
# Probes and scrapes every few seconds would drown the access log; they are still counted.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz"})


@dataclass(frozen=True)
class AdminSeries:
    requests: Counter
    seconds: Histogram
    in_progress: Gauge


@cache
def admin_series() -> AdminSeries:
    """Created once per process: in multiprocess mode two objects of one name would overwrite each other."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry()
    return AdminSeries(
        requests=Counter(
            "hop_admin_requests", "Admin API requests, by route template.", ("method", "route", "status"),
            registry=registry,
        ),
        seconds=Histogram(
            "hop_admin_request_seconds", "Admin API request duration.", ("method", "route"),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=registry,
        ),
        in_progress=Gauge(
            "hop_admin_requests_in_progress", "Admin API requests being handled.",
            registry=registry, multiprocess_mode="livesum",
        ),
    )  # fmt: skip


def request_id_from(scope: Scope) -> str:
    headers: Iterable[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _VALID_REQUEST_ID.match(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/v1/links/{code}``): raw paths would explode the label set.

    Built from the path and the path parameters routing put into the scope, because the route
    object FastAPI leaves there does not carry its routers' prefixes. "unmatched" when no route
    matched (scanners' paths are not labels).
    """
    params = scope.get("path_params")
    if params is None:
        return "unmatched"
    segments = scope["path"].split("/")
    # Right to left: parameters come after the static part they would be mistaken for.
    for name, value in params.items():
        text = str(value)
        for index in range(len(segments) - 1, -1, -1):
            if segments[index] == text:
                segments[index] = f"{{{name}}}"
                break
    return "/".join(segments)


class ObservabilityMiddleware:
    """Request id, access log and metrics for every HTTP request of the wrapped app."""

    def __init__(self, app: ASGIApp, *, metrics: bool = True) -> None:
        self.app = app
        self.series = admin_series() if metrics else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        token = REQUEST_ID.set(request_id)
        status = 500  # what the client gets when the app raises before it starts a response
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        series = self.series
        if series:
            series.in_progress.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            if series:
                series.in_progress.dec()
                series.requests.labels(method=method, route=route, status=str(status)).inc()
                series.seconds.labels(method=method, route=route).observe(elapsed)
            if route not in _QUIET_ROUTES:
                logger.info("%s %s %d %.1fms", method, route, status, elapsed * 1000)
            REQUEST_ID.reset(token)


def install_observability(app: Starlette, *, metrics: bool) -> None:
    """Wrap ``app`` (FastAPI/Starlette) in ``ObservabilityMiddleware``, outermost so it times everything."""
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
