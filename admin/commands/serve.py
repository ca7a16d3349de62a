"""`hop edge` and `hop admin`: the HTTP processes on Granian."""

from __future__ import annotations

import argparse

from admin.commands.common import fail, settings_from
from admin.serve import admin_server, edge_server
from common.logs import configure_logging
from common.metrics import MetricsPortError, metrics_for_group


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    edge = subparsers.add_parser("edge", help="run the redirect edge (Starlette on Granian)")
    edge.add_argument("--host", help="bind address (HOP_EDGE_HOST)")
    edge.add_argument("--port", type=int, help="port (HOP_EDGE_PORT)")
    edge.add_argument("--workers", type=int, help="worker processes (HOP_EDGE_WORKERS)")
    edge.set_defaults(handler=handle_edge)

    admin = subparsers.add_parser("admin", help="run the admin API (FastAPI on Granian)")
    admin.add_argument("--host", help="bind address (HOP_ADMIN_HOST)")
    admin.add_argument("--port", type=int, help="port (HOP_ADMIN_PORT)")
    admin.add_argument("--workers", type=int, help="worker processes (HOP_ADMIN_WORKERS)")
    admin.set_defaults(handler=handle_admin)


def handle_edge(args: argparse.Namespace) -> int:
    settings = settings_from(args, edge_host=args.host, edge_port=args.port, edge_workers=args.workers)
    # Before Granian forks its workers: they inherit the metrics directory from this process.
    try:
        with metrics_for_group(
            group="edge",
            host=settings.metrics_host,
            port=settings.edge_metrics_port,
            base_dir=settings.metrics_dir,
            setting="HOP_EDGE_METRICS_PORT",
        ):
            server = edge_server(settings)
            configure_logging(settings)  # Granian's constructor configured its loggers: take them over
            server.serve()
    except MetricsPortError as error:
        return fail(str(error))
    return 0


def handle_admin(args: argparse.Namespace) -> int:
    settings = settings_from(args, admin_host=args.host, admin_port=args.port, admin_workers=args.workers)
    try:
        with metrics_for_group(
            group="admin",
            host=settings.metrics_host,
            port=settings.admin_metrics_port,
            base_dir=settings.metrics_dir,
            setting="HOP_ADMIN_METRICS_PORT",
        ):
            server = admin_server(settings)
            configure_logging(settings)
            server.serve()
    except MetricsPortError as error:
        return fail(str(error))
    return 0
