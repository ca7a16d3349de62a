"""`hop import SOURCE FILE`: links from another shortener's export, through the same path as the API
(admin/importers/; docs/importing.md). `hop import shlink-api --url URL` reads a Shlink instance's
REST API instead of a file.

Prints one line per row that was not created (already present, conflicts, invalid), then the
counts; ``--json`` prints every row. Exit status 1 when a row is a conflict, invalid or failed.

The Shlink API key comes from HOP_IMPORT_SHLINK_API_KEY or the first line of standard input
(``--api-key-stdin``), never from an argument, which the shell's history and `ps` would show.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson

from admin.audit import CLI
from admin.importers.plan import OUTCOMES, ImportReport, ImportScope, Outcome, RowResult, apply_plan, plan_import
from admin.importers.reading import CLI_LIMITS
from admin.importers.rows import Parsed, SourceInvalid
from admin.importers.shlink_api import fetch_short_urls
from admin.importers.sources import DESCRIPTIONS, FILE_SOURCES, SHLINK_API, FileSource, parse
from admin.users import get_user_by_email
from common.settings import AdminSettings
from common.stores import open_stores
from hop.commands.support import fail, run_async, settings_from

API_KEY_ENV = "HOP_IMPORT_SHLINK_API_KEY"
SOURCES = (*FILE_SOURCES, SHLINK_API)
_LABELS: dict[Outcome, str] = {
    "would_create": "would be created",
    "created": "created",
    "already_present": "already present",
    "conflict": "conflicts",
    "invalid": "invalid",
    "failed": "failed",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "sources:\n" + "\n".join(f"  {name:12} {DESCRIPTIONS[name]}" for name in SOURCES)
    parser.add_argument("source", choices=SOURCES, metavar="SOURCE", help="the export's format (see below)")
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the export (not with shlink-api)")
    parser.add_argument("--url", help="shlink-api: the Shlink instance's address, e.g. https://s.example")
    parser.add_argument(
        "--api-key-stdin",
        action="store_true",
        help=f"shlink-api: read the API key from standard input (else from {API_KEY_ENV})",
    )
    parser.add_argument("--owner", metavar="EMAIL", help="the user the links will belong to (default: no one)")
    parser.add_argument("--dry-run", action="store_true", help="report what the import would do; write nothing")
    parser.add_argument("--json", action="store_true", help="print the whole report, every row, as JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_from(AdminSettings)
    try:
        parsed = _read(args)
    except (SourceInvalid, ValueError) as error:
        return fail(str(error))
    report = run_async(lambda: _import(settings, parsed, owner=args.owner, dry_run=args.dry_run))
    print(_as_json(report, args.source) if args.json else _as_text(report))
    return 1 if report.failed else 0


def _read(args: argparse.Namespace) -> Parsed:
    """The rows of the export. Raises SourceInvalid, or ValueError for arguments that do not fit."""
    if args.source == SHLINK_API:
        if args.file is not None or not args.url:
            raise ValueError("shlink-api reads --url URL, not a file")
        return fetch_short_urls(args.url, api_key=_api_key(args), limits=CLI_LIMITS)
    if args.file is None:
        raise ValueError(f"{args.source} reads a FILE")
    source: FileSource = args.source
    return parse(source, _file_bytes(args.file), CLI_LIMITS)


def _file_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > CLI_LIMITS.max_bytes:
                raise ValueError(f"{path} is {size:,} bytes; an import reads at most {CLI_LIMITS.max_bytes:,}")
            # Never more than one byte over the limit, whatever the file claims (a pipe, /dev/zero).
            return file.read(CLI_LIMITS.max_bytes + 1)
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None


def _api_key(args: argparse.Namespace) -> str:
    key = sys.stdin.readline().strip() if args.api_key_stdin else os.environ.get(API_KEY_ENV, "").strip()
    if not key:
        raise ValueError(f"no API key: set {API_KEY_ENV}, or send it on standard input (--api-key-stdin)")
    return key


async def _import(settings: AdminSettings, parsed: Parsed, *, owner: str | None, dry_run: bool) -> ImportReport:
    async with open_stores(settings, pool_size=2) as stores:
        owner_id = None
        if owner is not None:
            user = await get_user_by_email(stores.pool, owner)
            if user is None:
                raise ValueError(f"no user has the e-mail address {owner}")
            owner_id = user.id
        scope = ImportScope.of(settings, owner_id)
        plan = await plan_import(parsed, pool=stores.pool, scope=scope)
        if dry_run:
            return plan.preview()
        return await apply_plan(plan, stores=stores, scope=scope, actor=CLI)


def _as_text(report: ImportReport) -> str:
    lines = [_line(result) for result in report.rows if result.outcome not in ("created", "would_create")]
    first: Outcome = "would_create" if report.dry_run else "created"
    outcomes: list[Outcome] = [first, "already_present", "conflict", "invalid"]
    outcomes += ["failed"] if report.count("failed") else []
    counts = ", ".join(f"{report.count(outcome):,} {_LABELS[outcome]}" for outcome in outcomes)
    return "\n".join([*lines, f"{'dry run: ' if report.dry_run else ''}{counts}"])


def _line(result: RowResult) -> str:
    reason = f"{result.error_code}: {result.reason}" if result.error_code else result.reason or ""
    link = f"{result.domain}/{result.code or '-'}" if result.domain else result.code or "-"
    return f"row {result.row}: {result.outcome} {link} -> {result.target_url or '-'}: {reason}"


def _as_json(report: ImportReport, source: str) -> str:
    body = {
        "source": source,
        "dry_run": report.dry_run,
        "counts": {outcome: report.count(outcome) for outcome in OUTCOMES},
        "rows": report.rows,
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
