"""`hop edge`: the redirect edge on Granian."""

from __future__ import annotations

import argparse

from common.settings import EdgeSettings
from hop.commands.support import settings_from
from hop.serve import serve_group


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (HOP_EDGE_HOST)")
    parser.add_argument("--port", type=int, help="port (HOP_EDGE_PORT)")
    parser.add_argument("--workers", type=int, help="worker processes (HOP_EDGE_WORKERS)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from edge.server import edge_server

    settings = settings_from(EdgeSettings, edge_host=args.host, edge_port=args.port, edge_workers=args.workers)
    return serve_group(
        "edge", settings, port=settings.edge_metrics_port, setting="HOP_EDGE_METRICS_PORT", build=edge_server
    )
