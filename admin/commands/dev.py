"""`hop dev`: run the whole product locally."""

from __future__ import annotations

import argparse

from admin.commands.common import settings_from
from admin.devserver import run_dev


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "dev", help="run edge, admin and worker locally (embedded Valkey/Postgres when HOP_*_URL are unset)"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return run_dev(settings_from(args))
