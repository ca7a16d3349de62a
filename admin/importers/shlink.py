"""Shlink: the CSV its web client exports, and the JSON of its REST API.

The CSV ("Export" on the short URLs list, short_urls.csv) has the columns createdAt, domain,
shortCode, shortUrl, longUrl, title, tags (joined with "|") and visits (the total). Its domain is
the host of each short URL, the default domain's included.

The JSON is what ``GET /rest/v3/short-urls`` answers: ``{"shortUrls": {"data": [ShortUrl, ...],
"pagination": {...}}}``, one page or a list of pages (or a bare list of ShortUrls). A ShortUrl
carries shortCode, domain (null on the default domain), longUrl, title, tags, dateCreated,
visitsSummary.total (visitsCount before Shlink 3) and meta.validUntil / meta.maxVisits.
``hop import shlink-api`` fetches these pages itself (admin/importers/shlink_api.py).

A link Shlink no longer serves (past validUntil, or at its maxVisits) is reported, not imported:
importing it would bring it back to life. A future validUntil is kept as the expiry; maxVisits
not yet reached and validSince are not carried over (docs/importing.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from admin.importers.reading import (
    CsvRecord,
    Limits,
    check_size,
    code_from_short_url,
    count_of,
    csv_records,
    date_of,
    decode,
    find_column,
    host_of_short_url,
    parse_items,
    parse_rows,
    tags_of,
    title_of,
)
from admin.importers.rows import ImportedLink, Parsed, RowError, SourceInvalid, SourceTooLarge


def parse_csv(data: bytes, limits: Limits) -> Parsed:
    """Raises SourceInvalid when the header lacks longUrl or both shortCode and shortUrl."""
    check_size(data, limits)
    names, records = csv_records(decode(data), limits)
    target = find_column(names, "longurl")
    code = find_column(names, "shortcode")
    short_url = find_column(names, "shorturl")
    if target is None or (code is None and short_url is None):
        raise SourceInvalid(
            "this is not a Shlink CSV export: its header needs longUrl and shortCode (or shortUrl); "
            f"found: {names.describe()}"
        )
    title = find_column(names, "title")
    domain = find_column(names, "domain")
    created = find_column(names, "createdat", "datecreated")
    tags = find_column(names, "tags")
    visits = find_column(names, "visits", "visitscount")

    def make(record: CsvRecord) -> ImportedLink:
        cells = record.cells
        return ImportedLink(
            row=record.row,
            code=cells.get(code) or code_from_short_url(cells.required(short_url, "short code")),
            target=cells.required(target, "long URL"),
            domain=(cells.get(domain) if domain is not None else host_of_short_url(cells.get(short_url))) or None,
            title=title_of(cells.get(title)),
            tags=tags_of(cells.get(tags), "|"),
            created_at=date_of(cells.get(created)),
            clicks=count_of(cells.get(visits)),
        )

    def identify(record: CsvRecord) -> tuple[str, str]:
        return record.cells.peek(code) or record.cells.peek(short_url), record.cells.peek(target)

    return parse_rows(records, make, identify=identify)


def parse_json(data: bytes, limits: Limits) -> Parsed:
    """Raises SourceInvalid when the file is not JSON of that shape."""
    check_size(data, limits)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise SourceInvalid(f"the file is not valid JSON (UTF-8): {error}") from None
    return from_short_urls(short_url_items(document), limits)


def short_url_items(document: Any) -> list[Any]:
    """The ShortUrl objects of one API page, a list of pages, or a bare list. Raises SourceInvalid."""
    if isinstance(document, dict):
        return page_items(document)
    if isinstance(document, list):
        if all(isinstance(item, dict) and "shortUrls" in item for item in document) and document:
            return [entry for page in document for entry in page_items(page)]
        return document
    raise SourceInvalid('the JSON is neither a Shlink API page ({"shortUrls": ...}) nor a list of short URLs')


def page_items(page: dict[str, Any]) -> list[Any]:
    """The ``shortUrls.data`` list of one API answer. Raises SourceInvalid."""
    short_urls = page.get("shortUrls")
    data = short_urls.get("data") if isinstance(short_urls, dict) else None
    if not isinstance(data, list):
        raise SourceInvalid('a Shlink API page holds its short URLs in "shortUrls": {"data": [...]}')
    return data


def from_short_urls(items: list[Any], limits: Limits, *, now: datetime | None = None) -> Parsed:
    """ShortUrl objects as rows (row n is the n-th item, from 1). Raises SourceTooLarge."""
    if len(items) > limits.max_rows:
        raise SourceTooLarge(f"the export has more than {limits.max_rows:,} short URLs; split it")
    moment = now or datetime.now(UTC)
    return parse_items(items, lambda row, item: _link(row, item, moment), code_key="shortCode", target_key="longUrl")


def _link(row: int, item: Any, now: datetime) -> ImportedLink:
    if not isinstance(item, dict):
        raise RowError("not a short URL object")
    meta: dict[str, Any] = item["meta"] if isinstance(item.get("meta"), dict) else {}
    clicks = count_of(_visits(item))
    expires_at = date_of(_text(meta, "validUntil", "meta.validUntil"), "validUntil date")
    if expires_at is not None and expires_at <= now:
        raise RowError(f"expired in Shlink on {expires_at.isoformat()}; it would redirect again in Hop", "expired")
    max_visits = meta.get("maxVisits")
    if isinstance(max_visits, int) and not isinstance(max_visits, bool) and 0 < max_visits <= clicks:
        raise RowError(f"reached its {max_visits} maximum visits in Shlink; it would redirect again in Hop", "expired")
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise RowError("tags is not a list of strings")
    return ImportedLink(
        row=row,
        code=_required(item, "shortCode", "short code"),
        target=_required(item, "longUrl", "long URL"),
        domain=_text(item, "domain", "domain"),
        title=title_of(_text(item, "title", "title")),
        tags=tuple(tag for tag in (tag.strip() for tag in tags) if tag),
        created_at=date_of(_text(item, "dateCreated", "dateCreated")),
        clicks=clicks,
        expires_at=expires_at,
    )


def _visits(item: dict[str, Any]) -> Any:
    summary = item.get("visitsSummary")
    if isinstance(summary, dict) and "total" in summary:
        return summary["total"]
    return item.get("visitsCount")


def _text(fields: dict[str, Any], key: str, what: str) -> str | None:
    value = fields.get(key)
    if value is None or isinstance(value, str):
        return value
    raise RowError(f"{what} is not a string")


def _required(fields: dict[str, Any], key: str, what: str) -> str:
    value = (_text(fields, key, key) or "").strip()
    if not value:
        raise RowError(f"no {what}", f"missing_{what.replace(' ', '_')}")
    return value
