"""The `hop` command: one entry point for every process and admin task.

Each command group lives in admin/commands/<group>.py and exposes ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

COMMAND_MODULES = (
    "admin.commands.migrate",
    "admin.commands.serve",
    "admin.commands.dev",
    "admin.commands.links",
    "admin.commands.worker",
    "admin.commands.users",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hop",
        description="Hop: a URL shortener with a redirect edge at the speed of the machine.",
        epilog="Settings come from HOP_* environment variables; see README.md for the full table.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int | None = args.handler(args)
    return result or 0


if __name__ == "__main__":
    sys.exit(main())
