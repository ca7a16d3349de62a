"""The `hop` command: one entry point for every process and admin task.

Each command lives in hop/commands/<name>.py with ``configure(parser)``, which adds its
arguments and sets ``handler``. Only the module of the command being run is imported, so
`hop edge` loads the edge and nothing of admin/ or worker/.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import NamedTuple


class Command(NamedTuple):
    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "edge": Command("hop.commands.edge", "run the redirect edge (Starlette on Granian)"),
    "admin": Command("hop.commands.admin", "run the admin API (FastAPI on Granian)"),
    "worker": Command("hop.commands.worker", "apply clicks from the Redis streams to Postgres (analytics)"),
    "migrate": Command("hop.commands.migrate", "apply pending database migrations"),
    "sync": Command("hop.commands.sync", "load every servable link into Redis and mark it complete (run every 30 min)"),
    "dev": Command(
        "hop.commands.dev", "run edge, admin and worker locally (embedded Valkey/Postgres when HOP_*_URL are unset)"
    ),
    "link": Command("hop.commands.link", "create, show and remove short links"),
    "domain": Command("hop.commands.domain", "add, list and remove short domains"),
    "import": Command(
        "hop.commands.imports", "import links from Bitly, Shlink, Kutt or YOURLS exports (idempotent, with --dry-run)"
    ),
    "user": Command("hop.commands.user", "manage user accounts"),
    "openapi": Command("hop.commands.openapi", "print the admin API's OpenAPI document (for the dashboard's types)"),
}


def overview_parser() -> argparse.ArgumentParser:
    """`hop --help`: every command with its one-line help, without importing any of them."""
    parser = argparse.ArgumentParser(
        prog="hop",
        description="Hop: a URL shortener with a redirect edge at the speed of the machine.",
        epilog="Settings come from HOP_* environment variables; see README.md for the full table.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        subparsers.add_parser(name, help=command.help, add_help=False)
    return parser


def command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of one command, with its module imported and its arguments configured."""
    command = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"hop {name}", description=command.help)
    configure: Callable[[argparse.ArgumentParser], None] = import_module(command.module).configure
    configure(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        overview_parser().parse_args(args)  # prints the help, or the error for an unknown command, and exits
        return 2
    parsed = command_parser(args[0]).parse_args(args[1:])
    result: int | None = parsed.handler(parsed)
    return result or 0


if __name__ == "__main__":
    sys.exit(main())
