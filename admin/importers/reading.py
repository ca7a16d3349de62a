"""Reading exports as hostile input: limits, decoding, CSV records, and the cell types every format shares.

Nothing here raises for one bad row: a row's problems are ``RowError``s, which the source modules
turn into RowProblems; only what makes the whole file unreadable is a ``SourceInvalid``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from admin.importers.rows import (
    ImportedLink,
    Parsed,
    RowError,
    RowProblem,
    SourceInvalid,
    SourceTooLarge,
    not_utf8,
    shown,
)

# A cell longer than this is no field of a link export (targets are at most 4096 characters as given).
MAX_CELL_CHARS = 8_192
# Titles as LinkCreate takes them; longer ones (page titles fetched by the source) are cut, not refused.
MAX_TITLE_CHARS = 500
# Created dates a little ahead are clock skew between the source and Hop; more is a wrong date.
FUTURE_SLACK = timedelta(days=1)
MAX_CLICKS = 2**62
# Dates outside these years are typos or placeholders, and near the ends of datetime's range they
# cannot even be moved to UTC.
MIN_YEAR, MAX_YEAR = 1970, 9000
_SPACES_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# At most 19 digits: MAX_CLICKS has 19, and int() of thousands of digits is slow (and refused past 4,300).
_COUNT_RE = re.compile(r"^\d{1,3}(,\d{3}){1,6}$|^\d{1,19}$")
_US_DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
# MySQL's "zero date", which old YOURLS rows carry: the date is unknown, not wrong.
_ZERO_DATES = ("0000-00-00 00:00:00", "0000-00-00")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one import may hold."""

    max_bytes: int
    max_rows: int


# The API's bodies are capped at 4 MiB anyway (admin/body_limit.py); rows as the Hop CSV import.
API_LIMITS = Limits(max_bytes=4 * 1024 * 1024, max_rows=10_000)
# The CLI reads a file on the server's own disk, run by its operator: larger, still bounded.
CLI_LIMITS = Limits(max_bytes=64 * 1024 * 1024, max_rows=200_000)


def check_size(data: bytes, limits: Limits) -> None:
    """Raises SourceTooLarge (or SourceInvalid for an empty file)."""
    if len(data) > limits.max_bytes:
        raise SourceTooLarge(f"the export is {len(data):,} bytes; an import takes at most {limits.max_bytes:,}")
    if not data.strip():
        raise SourceInvalid("the export is empty")


def decode(data: bytes) -> str:
    """The export's text. UTF-8 (with or without BOM) is expected; bytes that are not UTF-8 are kept
    as lone surrogates (``surrogateescape``), so that only the rows holding them fail, each saying so.
    A UTF-16 file (Excel's "Unicode text") is decoded by its BOM.

    Raises:
        SourceInvalid: a UTF-16 file that is not valid UTF-16.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise SourceInvalid("the export starts as UTF-16 but is not valid UTF-16; save it as UTF-8") from None
    return data.decode("utf-8-sig", errors="surrogateescape")


def header_key(name: str) -> str:
    """A column name reduced to compare: "Destination URL", "destination_url" and "destinationUrl" alike."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


class Cells:
    """One record's cells by column; every read checks the cell (length, encoding) and strips it."""

    def __init__(self, values: Mapping[str, str], labels: Mapping[str, str] | None = None) -> None:
        self._values = values
        self._labels = labels or {}

    def get(self, column: str | None) -> str:
        if column is None:
            return ""
        value = self._values.get(column, "")
        label = self._labels.get(column, column)
        if len(value) > MAX_CELL_CHARS:
            too_long = f"the {label} cell is {len(value):,} characters long; at most {MAX_CELL_CHARS:,}"
            raise RowError(too_long, "too_long")
        if not_utf8(value):
            raise RowError(f"the {label} cell has bytes that are not UTF-8; save the export as UTF-8", "not_utf8")
        return value.strip()

    def peek(self, column: str | None) -> str:
        """The cell as written, unchecked: only for a report (through rows.shown)."""
        return self._values.get(column, "").strip() if column is not None else ""

    def required(self, column: str | None, what: str) -> str:
        value = self.get(column)
        if not value:
            raise RowError(f"no {what}", f"missing_{what.replace(' ', '_')}")
        return value


class Header(list[str]):
    """A CSV header's column keys (``header_key``), with its names as written, for messages."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(header_key(name) for name in names)
        self.written = [shown(name.strip()) or "" for name in names]

    def describe(self) -> str:
        return ", ".join(name for name in self.written if name) or "nothing"


@dataclass(frozen=True, slots=True)
class CsvRecord:
    row: int  # as a spreadsheet numbers it: the header is row 1
    cells: Cells


def csv_records(text: str, limits: Limits, *, header: bool = True) -> tuple[Header, Iterator[CsvRecord]]:
    """The header's column names (lower-cased keys per ``header_key``) and the records under it.

    Without ``header``, the columns are numbered "0", "1", ... and the first record is row 1.
    Raises SourceInvalid (a CSV the reader gives up on, e.g. a cell over the csv module's limit) and
    SourceTooLarge (over ``limits.max_rows``), both while the records are iterated, with the row.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    names = Header([])
    if header:
        try:
            first = next(reader, [])
        except csv.Error as error:
            raise SourceInvalid(f"the CSV header cannot be read: {error}") from None
        if not_utf8("".join(first)):
            raise SourceInvalid("the CSV header has bytes that are not UTF-8; save the export as UTF-8")
        names = Header(first)
    labels = dict(zip(names, names.written, strict=True))
    return names, _records(reader, names, labels, limits, first_row=2 if header else 1)


def _records(
    reader: Iterator[list[str]], names: list[str], labels: dict[str, str], limits: Limits, *, first_row: int
) -> Iterator[CsvRecord]:
    count = 0
    row = first_row - 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SourceInvalid(f"the CSV cannot be read at row {row + 1}: {error}") from None
        row += 1
        if not any(value.strip() for value in values):
            continue  # blank lines, as spreadsheets leave at the end
        count += 1
        if count > limits.max_rows:
            raise SourceTooLarge(f"the export has more than {limits.max_rows:,} rows; split it")
        keys = names or [str(index) for index in range(len(values))]
        yield CsvRecord(row, Cells(dict(zip(keys, values, strict=False)), labels))


def find_column(names: list[str], *aliases: str) -> str | None:
    """The first of ``aliases`` (header keys) the header has."""
    return next((alias for alias in aliases if alias in names), None)


def parse_rows(
    records: Iterator[CsvRecord],
    make: Callable[[CsvRecord], ImportedLink],
    *,
    identify: Callable[[CsvRecord], tuple[str, str]],
) -> Parsed:
    """Every record through ``make``; a RowError becomes that row's RowProblem, naming the code and
    target that ``identify`` reads (unchecked) from the record."""
    parsed = Parsed()
    for record in records:
        try:
            parsed.links.append(make(record))
        except RowError as error:
            code, target = identify(record)
            parsed.problems.append(problem_for(record.row, error, code=code, target=target))
    return parsed


def parse_items(
    items: list[Any], read: Callable[[int, Any], ImportedLink], *, code_key: str, target_key: str
) -> Parsed:
    """The items of a JSON export as rows (row n is the n-th item, from 1), each read by ``read``;
    an item it refuses is its row's problem, shown with its code and target when it has them."""
    parsed = Parsed()
    for row, item in enumerate(items, start=1):
        try:
            parsed.links.append(read(row, item))
        except RowError as error:
            fields = item if isinstance(item, dict) else {}
            code, target = fields.get(code_key), fields.get(target_key)
            parsed.problems.append(
                problem_for(
                    row,
                    error,
                    code=code if isinstance(code, str) else None,
                    target=target if isinstance(target, str) else None,
                )
            )
    return parsed


def problem_for(row: int, error: RowError, *, code: str | None = None, target: str | None = None) -> RowProblem:
    return RowProblem(
        row=row,
        reason=error.reason,
        error_code=error.error_code,
        code=shown(code) or None,
        target=shown(target) or None,
    )


def title_of(text: str | None) -> str | None:
    """A title as Hop keeps it: one line (runs of white space become one space, other control
    characters go), at most MAX_TITLE_CHARS; None when nothing is left."""
    if not text:
        return None
    line = _CONTROL_RE.sub("", _SPACES_RE.sub(" ", text)).strip()
    if len(line) > MAX_TITLE_CHARS:
        line = line[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    return line or None


def tags_of(text: str, separators: str) -> tuple[str, ...]:
    """The tags of a cell split on any of ``separators``; blank ones dropped (LinkCreate checks the rest)."""
    parts = re.split(f"[{re.escape(separators)}]", text) if text else []
    return tuple(part.strip() for part in parts if part.strip())


def count_of(text: str | int | None, what: str = "click total") -> int:
    """A click total: digits, optionally with thousands commas ("1,234"); empty is 0. Raises RowError."""
    if text is None or text == "":
        return 0
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise RowError(f"the {what} is not a whole number", "invalid_clicks")
    value = text if isinstance(text, int) else _count_text(text.strip(), what)
    if not 0 <= value <= MAX_CLICKS:
        raise RowError(f"the {what} {value} is out of range (0 to {MAX_CLICKS})", "invalid_clicks")
    return value


def _count_text(text: str, what: str) -> int:
    if text in ("", "NULL"):
        return 0
    if not _COUNT_RE.match(text):
        raise RowError(f"the {what} {shown(text)!r} is not a whole number", "invalid_clicks")
    return int(text.replace(",", ""))


def date_of(text: str | None, what: str = "created date", *, now: datetime | None = None) -> datetime | None:
    """A date as exports write it: ISO 8601 ("2023-05-10T14:21:33+0000", "2024-01-02 10:11:12.345+00",
    "...Z"), US ("05/10/2023 14:21") or Unix seconds; without a zone, UTC. Empty or MySQL's zero
    date: None (unknown). Raises RowError for anything else, and for a created date in the future.
    """
    text = (text or "").strip()
    if not text or text in _ZERO_DATES or text == "NULL":
        return None
    when = _parsed_date(text)
    if when is None:
        raise RowError(f"the {what} {shown(text)!r} is not a date this import understands", "invalid_date")
    try:
        when = when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)
    except OverflowError:
        when = None
    if when is None or not MIN_YEAR <= when.year <= MAX_YEAR:
        raise RowError(f"the {what} {shown(text)!r} is out of range ({MIN_YEAR} to {MAX_YEAR})", "invalid_date")
    if what == "created date" and when > (now or datetime.now(UTC)) + FUTURE_SLACK:
        raise RowError(f"the created date {when.isoformat()} is in the future", "invalid_date")
    return when


def _parsed_date(text: str) -> datetime | None:
    if text.isdigit() and len(text) <= 13:
        seconds = int(text) / (1000 if len(text) > 11 else 1)  # 13 digits: milliseconds
        return datetime.fromtimestamp(seconds, UTC)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _US_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def host_of_short_url(text: str) -> str | None:
    """The host (with its port) of a short URL as exports write it ("https://s.test/abc", "s.test/abc"),
    or None when there is none."""
    rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", text.strip())
    host = rest.partition("/")[0].rpartition("@")[2]
    return host or None


def code_from_short_url(text: str) -> str:
    """The code of a short URL as exports write it ("https://bit.ly/3xYz", "bit.ly/3xYz", "brand.co/offer/"):
    its path without slashes. Raises RowError when there is no single path segment."""
    rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", text.strip())
    host, _, path = rest.partition("/")
    path = path.split("?", 1)[0].split("#", 1)[0].strip("/")
    if not host or not path or "/" in path:
        raise RowError(f"the short URL {shown(text)!r} has no code (one path segment after the host)", "missing_code")
    return path
