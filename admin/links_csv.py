"""CSV export and import of links.

Cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) are written
with a leading apostrophe (OWASP "CSV injection"); import removes it again, so export then
import gives back the same links. Tags travel comma-separated in one cell. The UTM fields and the
social preview travel as one column each (utm_source ... utm_content, preview_title,
preview_description, preview_image), empty when not set; on import they are optional. The
``domain`` column names a link's short domain, empty for the default one (on import: a domain Hop
has, or empty).

Passwords travel in neither direction: a spreadsheet is no place for them, and there is no clear
text to export (only its hash is stored). An imported link is open; protect it afterwards with
PATCH /links/{code} (or create it through POST /links or /links/bulk, which take a password).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from admin.auth.principal import Principal
from admin.domains import short_url
from admin.link_metadata import METADATA_COLUMNS, PREVIEW_FIELDS
from admin.links import LINK_COLUMNS, OWNER_FIELDS, Link
from common.utm import UTM_FIELDS

EXPORT_COLUMNS = (
    "code",
    "domain",
    "short_url",
    "target_url",
    "redirect_status",
    "expires_at",
    "max_clicks",
    "forward_query",
    "disabled",
    "title",
    "tags",
    *METADATA_COLUMNS,
    "click_count",
    "human_clicks",
    "bot_clicks",
    "imported_clicks",
    "created_at",
)
# Columns import reads; the others (short_url, the click counts, ...) are ignored, so an export imports as is.
# A ``password`` column is ignored too (see the module's doc).
IMPORT_COLUMNS = ("code", "domain", *OWNER_FIELDS, *METADATA_COLUMNS)
# Flat columns that LinkCreate takes as one object each: the object's name and its fields.
_GROUPS = (("utm", UTM_FIELDS), ("preview", PREVIEW_FIELDS))
MAX_IMPORT_ROWS = 10_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPORT_BATCH = 500


class CsvInvalid(ValueError):
    """The CSV as a whole cannot be read (encoding, header, size)."""

    error_code = "invalid_csv"


def escape_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def unescape_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def export_row(link: Link, short_base: str) -> list[str]:
    values = {"short_url": short_url(link.domain, link.code, short_base)}
    return [escape_cell(values.get(column) or _cell(getattr(link, column))) for column in EXPORT_COLUMNS]


def csv_text(rows: list[list[str]]) -> str:
    """Rows as CSV text with CRLF line ends (RFC 4180), for streamed exports."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def export_links(
    *, pool: asyncpg.Pool, principal: Principal, short_base: str, tag: str | None = None
) -> AsyncIterator[str]:
    """The CSV of every link ``principal`` may see, header first, streamed from a server-side cursor."""
    yield csv_text([list(EXPORT_COLUMNS)])
    owner = None if principal.is_admin else principal.id
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        batch: list[list[str]] = []
        async for row in conn.cursor(
            f"""SELECT {LINK_COLUMNS} FROM links
                WHERE ($1::bigint IS NULL OR owner_id = $1) AND ($2::text IS NULL OR tags @> ARRAY[$2]::text[])
                ORDER BY id""",
            owner,
            tag.strip().lower() if tag else None,
            prefetch=EXPORT_BATCH,
        ):
            batch.append(export_row(Link.from_row(row), short_base))
            if len(batch) >= EXPORT_BATCH:
                yield csv_text(batch)
                batch = []
        if batch:
            yield csv_text(batch)


def _item(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for column in IMPORT_COLUMNS:
        value = unescape_cell((row.get(column) or "").strip())
        if value == "":
            continue
        if column == "tags":
            item[column] = [tag for tag in value.split(",") if tag.strip()]
        elif column == "redirect_status" and value.isdigit():
            item[column] = int(value)
        else:
            item[column] = value
    return _grouped(item)


def _grouped(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with its utm_* and preview_* cells gathered into the ``utm`` and ``preview`` objects."""
    for group, fields in _GROUPS:
        values = {field: item.pop(f"{group}_{field}") for field in fields if f"{group}_{field}" in item}
        if values:
            item[group] = values
    return item


def parse_import(data: bytes) -> list[dict[str, Any]]:
    """The rows of an import CSV as LinkCreate input (validated later, row by row).

    Raises:
        CsvInvalid: not UTF-8, no ``target_url`` column, or more than MAX_IMPORT_ROWS rows.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvInvalid("the CSV is not UTF-8") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [name.strip() for name in reader.fieldnames or []]
        if "target_url" not in header:
            raise CsvInvalid("the first line must be a header naming at least the target_url column")
        reader.fieldnames = header
        items: list[dict[str, Any]] = []
        for row in reader:
            if len(items) >= MAX_IMPORT_ROWS:
                raise CsvInvalid(f"at most {MAX_IMPORT_ROWS} rows per import")
            items.append(_item(row))
    except csv.Error as error:
        raise CsvInvalid(f"the CSV cannot be read: {error}") from None
    return items
