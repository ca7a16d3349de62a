"""`hop admin`: the admin API on Granian."""

from __future__ import annotations

import argparse

from common.settings import AdminSettings
from hop.commands.support import settings_from
from hop.serve import serve_group


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (HOP_ADMIN_HOST)")
    parser.add_argument("--port", type=int, help="port (HOP_ADMIN_PORT)")
    parser.add_argument("--workers", type=int, help="worker processes (HOP_ADMIN_WORKERS)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from admin.server import admin_server

    settings = settings_from(AdminSettings, admin_host=args.host, admin_port=args.port, admin_workers=args.workers)
    return serve_group(
        "admin", settings, port=settings.admin_metrics_port, setting="HOP_ADMIN_METRICS_PORT", build=admin_server
    )
