"""What a parser makes of an export: links to import, rows it could not read, or a file it refuses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

# What the report echoes of a source's text at most: a hostile file cannot bloat the report.
SHOWN_CHARS = 300
# Lone surrogates: what bytes that were not UTF-8 decode to with "surrogateescape" (reading.decode).
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ImportedLink:
    """One link of an export, in Hop's terms; not validated yet (that is admin.importers.plan's job).

    ``row`` is where the link stands in the export (see ``Parsed``); ``clicks`` is the source's
    total, kept as the link's imported_clicks; ``created_at`` None means unknown (the link is then
    created now); ``domain`` is the short domain as the source names it (None or empty: the source's
    default domain, which becomes Hop's).
    """

    row: int
    code: str
    target: str
    domain: str | None = None
    title: str | None = None
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    clicks: int = 0
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row of the export that is not imported, and why; ``error_code`` is stable, ``reason`` for people."""

    row: int
    reason: str
    error_code: str = "invalid_row"
    code: str | None = None
    target: str | None = None


@dataclass(slots=True)
class Parsed:
    """A parsed export. ``row`` numbers count what the format counts: a CSV's lines as a spreadsheet
    shows them (the header is row 1), a SQL dump's value tuples, a JSON list's items (from 1)."""

    links: list[ImportedLink] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.links) + len(self.problems)


class SourceInvalid(ValueError):
    """The export as a whole cannot be read (encoding, header, syntax, size); nothing is imported."""

    error_code = "invalid_import"


class SourceTooLarge(SourceInvalid):
    """The export is over the byte or row limit."""

    error_code = "import_too_large"


class RowError(ValueError):
    """Raised inside a parser for one row; the parser turns it into a RowProblem and goes on."""

    def __init__(self, reason: str, error_code: str = "invalid_row") -> None:
        super().__init__(reason)
        self.reason = reason
        self.error_code = error_code


def not_utf8(text: str) -> bool:
    """Whether ``text`` holds bytes that were not UTF-8 (kept as lone surrogates by reading.decode)."""
    return _SURROGATE_RE.search(text) is not None


def shown(text: str | None) -> str | None:
    """``text`` fit for a report: bytes that were not UTF-8 shown as U+FFFD, at most SHOWN_CHARS."""
    if text is None:
        return None
    cut = text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
    return _SURROGATE_RE.sub("\ufffd", cut)
