"""`hop edge` and `hop admin`: the HTTP processes on Granian."""

from __future__ import annotations

import argparse

from admin.commands.common import settings_from
from admin.serve import admin_server, edge_server


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
    edge_server(settings).serve()
    return 0


def handle_admin(args: argparse.Namespace) -> int:
    settings = settings_from(args, admin_host=args.host, admin_port=args.port, admin_workers=args.workers)
    admin_server(settings).serve()
    return 0
