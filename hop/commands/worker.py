"""`hop worker`: apply click streams to Postgres; `--check` is the container health probe."""

from __future__ import annotations

import argparse

from common.metrics import MetricsPortError
from common.settings import WorkerSettings
from hop.commands.support import fail, run_async, settings_from


def configure(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--burst", action="store_true", help="drain every stream, then exit")
    mode.add_argument("--check", action="store_true", help="exit 0 if a worker on this host is alive, else 1")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from worker import Worker, check_health

    settings = settings_from(WorkerSettings)
    if args.check:
        return run_async(lambda: check_health(settings))
    try:
        stats = run_async(lambda: Worker(settings, burst=args.burst).run())
    except MetricsPortError as error:
        return fail(str(error))
    if args.burst:
        print(f"{stats.clicks} clicks applied from {stats.entries} entries ({stats.failed} failed)")
    return 0
