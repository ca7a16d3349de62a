"""YOURLS: its ``yourls_url`` table, as a SQL dump or as CSV.

The table (includes/functions-install.php) has the columns keyword, url, title, timestamp, ip
and clicks. YOURLS has no export of its own; the table comes out of the database: as a SQL dump
(mysqldump, phpMyAdmin, Adminer: ``INSERT INTO `yourls_url` VALUES ('ozh','https://...','Title',
'2024-01-02 10:11:12','127.0.0.1',42),...;``, read by admin/importers/sql_values.py and never
run), or as CSV, with a header naming the columns or without one, in table order (phpMyAdmin's
default). Any table prefix works (``YOURLS_DB_PREFIX``): rows of tables whose name ends in
``url`` are read, the rest of the dump (yourls_log, yourls_options) is skipped.

``timestamp`` is a MySQL TIMESTAMP, which mysqldump writes in UTC (its ``SET TIME_ZONE='+00:00'``);
it is read as UTC. The IP address of the creator is not kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping

from admin.importers.reading import (
    Cells,
    CsvRecord,
    Limits,
    check_size,
    count_of,
    csv_records,
    date_of,
    decode,
    find_column,
    header_key,
    parse_rows,
    problem_for,
    title_of,
)
from admin.importers.rows import ImportedLink, Parsed, RowError, SourceInvalid, SourceTooLarge, shown
from admin.importers.sql_values import InsertedRow, Unsupported, inserted_rows

TABLE_COLUMNS = ("keyword", "url", "title", "timestamp", "ip", "clicks")
_TABLE_ORDER: dict[str, str | None] = {column: column for column in TABLE_COLUMNS}
_URL_TABLE_RE = re.compile(r"\w*url", re.IGNORECASE)


def parse_sql(data: bytes, limits: Limits) -> Parsed:
    """Raises SourceInvalid on a syntax error in a statement, or when no url table row is found."""
    check_size(data, limits)
    parsed = Parsed()
    for inserted in inserted_rows(decode(data), tables=_URL_TABLE_RE):
        if inserted.number > limits.max_rows:
            raise SourceTooLarge(f"the dump has more than {limits.max_rows:,} rows in its url table; split it")
        try:
            parsed.links.append(_link(inserted.number, _cells(inserted), _TABLE_ORDER))
        except RowError as error:
            code, target = _identity(inserted)
            parsed.problems.append(problem_for(inserted.number, error, code=code, target=target))
    if parsed.rows == 0:
        raise SourceInvalid("the dump has no INSERT INTO a YOURLS url table (yourls_url): dump it with its data")
    return parsed


def _cells(inserted: InsertedRow) -> Cells:
    columns = inserted.columns or TABLE_COLUMNS
    if len(inserted.values) != len(columns):
        raise RowError(
            f"the row has {len(inserted.values)} values for {len(columns)} columns (line {inserted.line})",
            "malformed_row",
        )
    if "keyword" not in columns or "url" not in columns:
        raise RowError("the INSERT's column list has no keyword or url column", "malformed_row")
    cells: dict[str, str] = {}
    for column, value in zip(columns, inserted.values, strict=True):
        if isinstance(value, Unsupported):
            if column in ("keyword", "url", "title", "timestamp", "clicks"):
                expression = shown(value.text[:60])
                raise RowError(f"the {column} is an expression ({expression}), not a value", "malformed_row")
            continue
        cells[column] = "" if value is None else value
    return Cells(cells)


def _identity(inserted: InsertedRow) -> tuple[str | None, str | None]:
    columns = inserted.columns or TABLE_COLUMNS
    values = dict(zip(columns, inserted.values, strict=False))
    code, target = values.get("keyword"), values.get("url")
    return (code if isinstance(code, str) else None, target if isinstance(target, str) else None)


def parse_csv(data: bytes, limits: Limits) -> Parsed:
    """Raises SourceInvalid when the file has neither a header naming keyword and url nor the
    table's six columns."""
    check_size(data, limits)
    text = decode(data)
    try:
        first = [header_key(name) for name in next(csv.reader(io.StringIO(text, newline="")), [])]
    except csv.Error as error:
        raise SourceInvalid(f"the CSV's first row cannot be read: {error}") from None
    if "keyword" in first and "url" in first:
        names, records = csv_records(text, limits)
        columns = {column: find_column(names, column) for column in TABLE_COLUMNS}
    elif len(first) == len(TABLE_COLUMNS):
        # No header: phpMyAdmin's default. The columns are the table's, in its order.
        _, records = csv_records(text, limits, header=False)
        columns = {column: str(index) for index, column in enumerate(TABLE_COLUMNS)}
    else:
        raise SourceInvalid(
            "this is not the yourls_url table as CSV: it needs a header naming keyword and url, "
            f"or no header and the table's {len(TABLE_COLUMNS)} columns in order ({', '.join(TABLE_COLUMNS)})"
        )

    def identify(record: CsvRecord) -> tuple[str, str]:
        return record.cells.peek(columns["keyword"]), record.cells.peek(columns["url"])

    return parse_rows(records, lambda record: _link(record.row, record.cells, columns), identify=identify)


def _link(row: int, cells: Cells, columns: Mapping[str, str | None]) -> ImportedLink:
    return ImportedLink(
        row=row,
        code=cells.required(columns["keyword"], "keyword"),
        target=cells.required(columns["url"], "url"),
        title=title_of(_not_null(cells.get(columns["title"]))),
        created_at=date_of(cells.get(columns["timestamp"])),
        clicks=count_of(cells.get(columns["clicks"])),
    )


def _not_null(text: str) -> str:
    # phpMyAdmin writes SQL NULL as the text NULL in CSV.
    return "" if text == "NULL" else text
