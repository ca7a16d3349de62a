"""The export formats an import reads, by name (the API's ``source`` and `hop import`'s SOURCE)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

from admin.importers import bitly, kutt, shlink, yourls
from admin.importers.reading import Limits
from admin.importers.rows import Parsed

# Files, which the API takes as uploads. Shlink's REST API is a source of the CLI only
# (`hop import shlink-api`): an API endpoint that fetched a URL it was given would let any user
# make the server request addresses of their choosing (SSRF), inside its network too.
FileSource = Literal["bitly-csv", "shlink-csv", "shlink-json", "kutt-csv", "kutt-json", "yourls-csv", "yourls-sql"]
FILE_SOURCES: tuple[FileSource, ...] = get_args(FileSource)
SHLINK_API = "shlink-api"

PARSERS: dict[FileSource, Callable[[bytes, Limits], Parsed]] = {
    "bitly-csv": bitly.parse,
    "shlink-csv": shlink.parse_csv,
    "shlink-json": shlink.parse_json,
    "kutt-csv": kutt.parse_csv,
    "kutt-json": kutt.parse_json,
    "yourls-csv": yourls.parse_csv,
    "yourls-sql": yourls.parse_sql,
}

DESCRIPTIONS: dict[str, str] = {
    "bitly-csv": "Bitly's CSV export (Links > Export)",
    "shlink-csv": "the CSV export of Shlink's web client (short_urls.csv)",
    "shlink-json": "Shlink's REST API answer, GET /rest/v3/short-urls (one page or a list of pages)",
    "shlink-api": "a Shlink instance's REST API, every page of /rest/v3/short-urls (CLI only)",
    "kutt-csv": "Kutt's links table as CSV (with a header)",
    "kutt-json": "Kutt's API answer, GET /api/v2/links (one page or a list of pages)",
    "yourls-csv": "YOURLS' yourls_url table as CSV (with a header, or the table's 6 columns in order)",
    "yourls-sql": "a SQL dump (mysqldump, phpMyAdmin) of YOURLS' yourls_url table",
}


def parse(source: FileSource, data: bytes, limits: Limits) -> Parsed:
    """``data`` read as ``source``. Raises admin.importers.rows.SourceInvalid (or SourceTooLarge)."""
    return PARSERS[source](data, limits)
