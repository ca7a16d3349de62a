"""Bitly's CSV export (Links > Export, sent by e-mail or downloaded for a selection).

Bitly has renamed the columns over the years, so they are found by name, in any order and case:
the target is "Destination URL" (formerly "Long URL", long_url in the API's field names), the
short link "Link" ("bit.ly/3xYzAbC", the API's "id"), a branded one "Custom Link" (custom_bitlinks;
when a link has one, its back-half is the code kept, as that is the link people were given), then
"Title", "Date Created" (created_at), "Tags" (comma-separated in one cell) and the click total
("Engagements", "Total Engagements" or "Clicks").
"""

from __future__ import annotations

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
    parse_rows,
    tags_of,
    title_of,
)
from admin.importers.rows import ImportedLink, Parsed, RowError, SourceInvalid

TARGET_COLUMNS = ("destinationurl", "longurl", "originalurl", "destination")
LINK_COLUMNS = ("link", "bitlink", "shortlink", "shorturl", "bitlyurl", "id")
CUSTOM_COLUMNS = ("customlink", "custombitlinks", "custombitlink", "custombackhalf", "brandedlink")
CREATED_COLUMNS = ("datecreated", "createdat", "created", "creationdate", "createddate", "date")
CLICK_COLUMNS = ("engagements", "totalengagements", "clicks", "totalclicks", "clickcount", "linkclicks")
# Several custom links in one cell are separated by these; the first is kept.
_CUSTOM_SEPARATORS = (",", ";", "|", " ")


def parse(data: bytes, limits: Limits) -> Parsed:
    """Raises SourceInvalid when the file is not a Bitly export (no target or link column)."""
    check_size(data, limits)
    names, records = csv_records(decode(data), limits)
    target = find_column(names, *TARGET_COLUMNS)
    link = find_column(names, *LINK_COLUMNS)
    custom = find_column(names, *CUSTOM_COLUMNS)
    if target is None or (link is None and custom is None):
        raise SourceInvalid(
            "this is not a Bitly export: its header needs a destination column (Destination URL or Long URL) "
            f"and a short link column (Link or Custom Link); found: {names.describe()}"
        )
    title = find_column(names, "title")
    created = find_column(names, *CREATED_COLUMNS)
    tags = find_column(names, "tags", "tag")
    clicks = find_column(names, *CLICK_COLUMNS)

    def make(record: CsvRecord) -> ImportedLink:
        cells = record.cells
        short = _first_custom(cells.get(custom)) or cells.required(link, "short link")
        return ImportedLink(
            row=record.row,
            code=code_from_short_url(short),
            target=cells.required(target, "destination URL"),
            title=title_of(cells.get(title)),
            tags=tags_of(cells.get(tags), ",|;"),
            created_at=date_of(cells.get(created)),
            clicks=count_of(cells.get(clicks)),
        )

    def identify(record: CsvRecord) -> tuple[str, str]:
        short = _first_custom(record.cells.peek(custom)) or record.cells.peek(link)
        try:
            return code_from_short_url(short), record.cells.peek(target)
        except RowError:
            return short, record.cells.peek(target)

    return parse_rows(records, make, identify=identify)


def _first_custom(text: str) -> str:
    for separator in _CUSTOM_SEPARATORS:
        text = text.split(separator, 1)[0]
    return text.strip()
