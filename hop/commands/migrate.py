"""`hop migrate`: bring the Postgres schema up to date."""

from __future__ import annotations

import argparse

from common.migrate import LATEST_VERSION, migrate_database
from common.settings import CoreSettings
from hop.commands.support import run_async, settings_from


def configure(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_from(CoreSettings)
    count = run_async(lambda: migrate_database(settings))
    print(f"database at schema version {LATEST_VERSION} ({count} migration(s) applied)")
    return 0
