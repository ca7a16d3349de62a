"""`hop dev`: run the whole product locally."""

from __future__ import annotations

import argparse

from common.settings import Settings
from hop.commands.support import settings_from


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hmr",
        action="store_true",
        help="also run Vite's dev server on the dashboard's sources, with hot reload (HOP_DEV_DASHBOARD_PORT)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from hop.dev import run_dev

    return run_dev(settings_from(Settings, dev_stores=False), hmr=args.hmr)
