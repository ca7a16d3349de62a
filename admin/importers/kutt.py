"""Kutt: its ``links`` table as CSV, or the JSON of its API.

Kutt has no export button. Its data is the ``links`` table (address, target, description,
visit_count, created_at, expire_in, banned, password, domain_id, ...), which a database tool writes as CSV
with a header (``\\copy links TO 'links.csv' CSV HEADER`` in psql; booleans as t/f there, 1/0 from
MySQL or SQLite); or the JSON its API answers, ``GET /api/v2/links`` (``{"total", "limit", "skip",
"data": [link, ...]}``, one page or a list of pages), where the same fields have the same names
and ``password`` and ``banned`` are booleans, and ``domain`` is the address of the link's custom
domain (null on Kutt's own). The table names a custom domain by its id only (``domain_id``): a row
with one is reported, unless the CSV also has the address in a ``domain`` column (a join with
Kutt's ``domains`` table); a link is never moved to another domain.

Kutt has no tags; its description becomes the title. A link Kutt would not serve is reported, not
imported: banned (judged harmful by its admins), expired, or password-protected (Kutt keeps only a
bcrypt hash, which Hop cannot use, and importing the link open would expose what it protected).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from admin.importers.reading import (
    CsvRecord,
    Limits,
    check_size,
    count_of,
    csv_records,
    date_of,
    decode,
    find_column,
    parse_items,
    parse_rows,
    title_of,
)
from admin.importers.rows import ImportedLink, Parsed, RowError, SourceInvalid, SourceTooLarge

_TRUE = frozenset({"t", "true", "1", "yes"})


def parse_csv(data: bytes, limits: Limits, *, now: datetime | None = None) -> Parsed:
    """Raises SourceInvalid when the header lacks address or target."""
    check_size(data, limits)
    names, records = csv_records(decode(data), limits)
    address, target = find_column(names, "address"), find_column(names, "target")
    if address is None or target is None:
        raise SourceInvalid(
            "this is not Kutt's links table: its header needs the address and target columns; "
            f"found: {names.describe()}"
        )
    columns = {
        name: find_column(names, key)
        for name, key in (
            ("description", "description"),
            ("visit_count", "visitcount"),
            ("created_at", "createdat"),
            ("expire_in", "expirein"),
            ("banned", "banned"),
            ("password", "password"),
            ("domain", "domain"),
            ("domain_id", "domainid"),
        )
    }
    moment = now or datetime.now(UTC)

    def make(record: CsvRecord) -> ImportedLink:
        cells = record.cells
        fields: dict[str, Any] = {name: cells.get(column) for name, column in columns.items()}
        fields["banned"] = fields["banned"].lower() in _TRUE
        # The column holds the bcrypt hash, or nothing (empty, or NULL as some tools write it).
        fields["password"] = fields["password"] not in ("", "NULL", "\\N")
        fields["address"] = cells.required(address, "address")
        fields["target"] = cells.required(target, "target")
        domain_id = fields.pop("domain_id")
        if not fields["domain"]:
            _refuse_domain_id(domain_id)
            fields["domain"] = None
        return _link(record.row, fields, moment)

    def identify(record: CsvRecord) -> tuple[str, str]:
        return record.cells.peek(address), record.cells.peek(target)

    return parse_rows(records, make, identify=identify)


def parse_json(data: bytes, limits: Limits, *, now: datetime | None = None) -> Parsed:
    """Raises SourceInvalid when the file is not JSON of that shape, SourceTooLarge over the row limit."""
    check_size(data, limits)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise SourceInvalid(f"the file is not valid JSON (UTF-8): {error}") from None
    items = _items(document)
    if len(items) > limits.max_rows:
        raise SourceTooLarge(f"the export has more than {limits.max_rows:,} links; split it")
    moment = now or datetime.now(UTC)
    return parse_items(items, lambda row, item: _link(row, item, moment), code_key="address", target_key="target")


def _refuse_domain_id(domain_id: str) -> None:
    """Raises RowError for a link on a custom domain of Kutt's (a domain_id), which the table names
    only by its id; a link on Kutt's own domain has none."""
    if domain_id in ("", "NULL", "\\N"):
        return None
    raise RowError(
        f"on a custom domain of Kutt's (domain_id {domain_id}), which its links table names by id only: add a "
        "domain column with the domain's address (join Kutt's domains table) to import it on that domain",
        "unknown_domain",
    )


def _items(document: Any) -> list[Any]:
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        return list(document["data"])
    if isinstance(document, list):
        if document and all(isinstance(page, dict) and isinstance(page.get("data"), list) for page in document):
            return [item for page in document for item in page["data"]]
        return document
    raise SourceInvalid('the JSON is neither a Kutt API page ({"data": [...]}) nor a list of links')


def _link(row: int, fields: Any, now: datetime) -> ImportedLink:
    if not isinstance(fields, dict):
        raise RowError("not a link object")
    if fields.get("banned") is True:
        raise RowError("banned in Kutt (judged harmful there); not imported", "banned")
    if fields.get("password") is True:
        raise RowError(
            "password-protected in Kutt, whose password cannot be carried over; protect it in Hop and create it there",
            "password_protected",
        )
    expires_at = date_of(_text(fields, "expire_in"), "expiry date")
    if expires_at is not None and expires_at <= now:
        raise RowError(f"expired in Kutt on {expires_at.isoformat()}; it would redirect again in Hop", "expired")
    return ImportedLink(
        row=row,
        code=_required(fields, "address", "address"),
        target=_required(fields, "target", "target"),
        domain=_text(fields, "domain"),
        title=title_of(_text(fields, "description")),
        created_at=date_of(_text(fields, "created_at")),
        clicks=count_of(fields.get("visit_count")),
        expires_at=expires_at,
    )


def _text(fields: dict[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None or isinstance(value, str):
        return value
    raise RowError(f"{key} is not a string")


def _required(fields: dict[str, Any], key: str, what: str) -> str:
    value = (_text(fields, key) or "").strip()
    if not value:
        raise RowError(f"no {what}", f"missing_{what}")
    return value
