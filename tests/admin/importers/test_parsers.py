"""Each export format read into links and per-row problems, without a database.

The parsers read hostile files: every row that cannot be imported says why (and which row), a
file that cannot be read at all is one SourceInvalid, and nothing else escapes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin.importers import bitly, kutt, shlink, yourls
from admin.importers.reading import API_LIMITS, Limits, date_of, title_of
from admin.importers.rows import ImportedLink, Parsed, RowError, SourceInvalid, SourceTooLarge
from admin.importers.sources import PARSERS, FileSource
from admin.importers.sql_values import Unsupported, inserted_rows, unquote
from tests.admin.importers.fixtures import fixture

ANY_URL_TABLE = re.compile(r"\w*url")


def by_row(parsed: Parsed) -> dict[int, ImportedLink]:
    return {link.row: link for link in parsed.links}


def problems(parsed: Parsed) -> dict[int, str]:
    return {problem.row: problem.error_code for problem in parsed.problems}


def test_bitly_export_keeps_codes_targets_titles_tags_dates_and_clicks() -> None:
    parsed = bitly.parse(fixture("bitly.csv"), API_LIMITS)
    links = by_row(parsed)
    spring = links[2]
    assert (spring.code, spring.target, spring.title) == (
        "3xYzAbC",
        "https://example.com/spring?utm_source=bitly",
        "Spring sale",
    )
    assert spring.tags == ("newsletter", "spring")
    assert spring.created_at == datetime(2023, 5, 10, 14, 21, 33, tzinfo=UTC)
    assert spring.clicks == 1234  # "1,234" in the export
    # A branded link's back-half is the code people were given.
    assert links[3].code == "summer-offer"
    assert links[4].created_at == datetime(2022, 11, 30, 9, 15, tzinfo=UTC)  # "+0000", the API's style
    # What validation refuses later is still a row here: the parser does not judge targets or codes.
    assert links[5].target == "javascript:alert(document.cookie)"
    assert links[9].code == "summer.sale"
    assert links[12].code == "api"
    # CSV injection: kept as text (the Hop export guards it), never evaluated.
    assert links[11].title == '=HYPERLINK("http://evil.example/","click")'
    assert links[11].tags == ("@cmd",)
    assert problems(parsed) == {10: "not_utf8", 13: "invalid_clicks", 14: "too_long"}
    latin = next(problem for problem in parsed.problems if problem.row == 10)
    assert latin.reason == "the Title cell has bytes that are not UTF-8; save the export as UTF-8"
    assert (latin.code, latin.target) == ("3latin1", "https://example.com/cafe")
    huge = next(problem for problem in parsed.problems if problem.row == 14)
    assert huge.target is not None and len(huge.target) == 300  # the report echoes a bounded piece


def test_a_file_that_is_not_a_bitly_export_is_refused_whole() -> None:
    with pytest.raises(SourceInvalid, match=r"not a Bitly export.*found: target_url, code$"):
        bitly.parse(b"target_url,code\r\nhttps://example.com/,x\r\n", API_LIMITS)


def test_shlink_csv_export() -> None:
    parsed = shlink.parse_csv(fixture("shlink_short_urls.csv"), API_LIMITS)
    links = by_row(parsed)
    assert (links[2].code, links[2].tags, links[2].clicks) == ("12C18", ("games", "tech"), 328)
    assert links[2].created_at == datetime(2016, 8, 21, 18, 34, 16, tzinfo=UTC)
    assert links[3].title is None
    assert links[5].target == "data:text/html;base64,PHNjcmlwdD4="
    assert links[6].code == "with/slash"  # plan reports it: Hop codes have no slash
    assert links[7].tags == ("a,b", "c")  # plan reports it: Hop tags have no comma
    assert [links[2].domain, links[4].domain] == ["s.test", "example.com"]  # plan maps them to Hop's domains
    assert parsed.problems == []


def test_a_shlink_csv_without_a_domain_column_takes_the_short_urls_host() -> None:
    data = b"shortCode,shortUrl,longUrl\r\nabc,https://go.example:8443/abc,https://example.com/\r\n"
    assert shlink.parse_csv(data, API_LIMITS).links[0].domain == "go.example:8443"


def test_shlink_api_pages_skip_links_shlink_no_longer_serves() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    parsed = shlink.from_short_urls(shlink.short_url_items(_json("shlink_short_urls.json")), API_LIMITS, now=now)
    links = by_row(parsed)
    assert [link.code for link in parsed.links] == ["12C18", "12Kb3", "later"]
    assert links[1].domain is None  # Shlink's default domain: Hop's default one
    assert links[1].clicks == 328 and links[2].clicks == 1029
    assert links[5].clicks == 7  # visitsCount, as Shlink 2 answered
    assert links[5].expires_at == datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert problems(parsed) == {3: "expired", 4: "expired", 6: "invalid_row"}
    assert "maximum visits" in next(p.reason for p in parsed.problems if p.row == 4)


def test_shlink_json_takes_one_page_a_list_of_pages_or_a_bare_list() -> None:
    item = {"shortCode": "a", "longUrl": "https://example.com/a", "visitsSummary": {"total": 2}, "tags": []}
    one_page = b'{"shortUrls": {"data": [%s], "pagination": {}}}' % _dumps(item)
    assert [link.code for link in shlink.parse_json(one_page, API_LIMITS).links] == ["a"]
    assert [link.code for link in shlink.parse_json(b"[%s]" % _dumps(item), API_LIMITS).links] == ["a"]
    with pytest.raises(SourceInvalid, match="not valid JSON"):
        shlink.parse_json(b'{"shortUrls": ', API_LIMITS)
    with pytest.raises(SourceInvalid, match="shortUrls"):
        shlink.parse_json(b'{"data": []}', API_LIMITS)


def test_kutt_links_table_as_csv() -> None:
    parsed = kutt.parse_csv(fixture("kutt_links.csv"), API_LIMITS, now=datetime(2026, 1, 1, tzinfo=UTC))
    links = by_row(parsed)
    assert (links[2].code, links[2].title, links[2].clicks) == ("docs", "Kutt documentation", 42)
    assert links[2].created_at == datetime(2024, 11, 3, 8, 39, 33, 123000, tzinfo=UTC)
    assert links[6].title == 'Launch, with "quotes"'
    assert links[6].expires_at == datetime(2099, 1, 1, tzinfo=UTC)
    assert problems(parsed) == {
        3: "banned",
        4: "password_protected",
        5: "expired",
        7: "missing_address",
        8: "unknown_domain",  # on a custom domain the table names by id only
    }
    assert "domain_id 2" in next(p.reason for p in parsed.problems if p.row == 8)
    assert all(link.domain is None for link in parsed.links)


def test_a_kutt_csv_with_the_domains_address_keeps_it() -> None:
    data = b"address,target,domain_id,domain\r\nabc,https://example.com/,2,go.example.org\r\n"
    assert kutt.parse_csv(data, API_LIMITS).links[0].domain == "go.example.org"


def test_kutt_api_page() -> None:
    parsed = kutt.parse_json(fixture("kutt_links.json"), API_LIMITS)
    assert [(link.code, link.domain, link.clicks) for link in parsed.links] == [
        ("docs", None, 42),
        ("launch", "go.example.org", 1024),
    ]
    assert problems(parsed) == {2: "password_protected"}


def test_yourls_sql_dump_reads_only_the_url_table_and_its_escapes() -> None:
    parsed = yourls.parse_sql(fixture("yourls_url.sql"), API_LIMITS)
    links = by_row(parsed)
    assert (links[1].code, links[1].clicks) == ("1", 1204)
    assert links[1].created_at == datetime(2009, 8, 14, 3, 3, 47, tzinfo=UTC)
    assert links[2].title == 'Ozh\'s "blog"; semicolons; and \\backslashes\\'
    assert links[3].title == "Line one Line two tabbed"  # a title is one line
    assert (links[4].title, links[4].created_at) == (None, None)  # NULL, and MySQL's zero date
    assert links[8].target == "https://example.com/a;b?c='d'"
    assert links[8].title == "Quote '' and semicolon;"
    assert links[9].code == "ozh"  # a second INSERT of the same keyword: plan reports the duplicate
    assert problems(parsed) == {7: "not_utf8", 10: "malformed_row"}
    assert "line 59" in next(p.reason for p in parsed.problems if p.row == 10)
    # yourls_options and yourls_log rows are not links.
    assert len(parsed.links) + len(parsed.problems) == 10


def test_yourls_csv_with_or_without_a_header() -> None:
    parsed = yourls.parse_csv(fixture("yourls_url.csv"), API_LIMITS)
    assert [link.code for link in parsed.links] == ["1", "ozh", "zero", "js"]
    assert by_row(parsed)[3].title is None  # phpMyAdmin's NULL
    assert problems(parsed) == {5: "invalid_clicks"}
    with_header = b"keyword,url,title,timestamp,ip,clicks\nabc,https://example.com/,T,2020-01-01 00:00:00,::1,9\n"
    assert [(link.row, link.code, link.clicks) for link in yourls.parse_csv(with_header, API_LIMITS).links] == [
        (2, "abc", 9)
    ]
    with pytest.raises(SourceInvalid, match="keyword and url"):
        yourls.parse_csv(b"a,b,c\n1,2,3\n", API_LIMITS)


def test_sql_tokenizer_reads_strings_names_comments_and_refuses_what_is_not_a_literal() -> None:
    dump = (
        "/*!40101 SET NAMES utf8mb4 */;\n"
        "# a hash comment; with a semicolon\n"
        "CREATE TABLE `x;y` (`a` text DEFAULT 'it''s; fine');\n"
        "INSERT IGNORE INTO `db`.`pre_url` (`url`, `keyword`, `clicks`) VALUES\n"
        "('https://e.example/\\\\', _binary 'k1', 0x3132),\n"
        "(\"https://e.example/2\", 'k2', NOW()), ('u', 'k3', -1.5e2)\n"
        "ON DUPLICATE KEY UPDATE clicks = clicks + 1;\n"
        "INSERT INTO other VALUES ('skipped');"
    )
    rows = list(inserted_rows(dump, tables=ANY_URL_TABLE))
    assert [row.table for row in rows] == ["pre_url"] * 3
    assert rows[0].columns == ("url", "keyword", "clicks")
    assert rows[0].values == ("https://e.example/\\", "k1", "12")
    assert rows[1].values == ("https://e.example/2", "k2", Unsupported("NOW ( )"))
    assert rows[2].values == ("u", "k3", "-1.5e2")
    assert [row.line for row in rows] == [5, 6, 6]
    with pytest.raises(SourceInvalid, match="line 2: a string, name or comment is never closed"):
        list(inserted_rows("INSERT INTO yourls_url VALUES\n('abc);\n", tables=ANY_URL_TABLE))
    with pytest.raises(SourceInvalid, match="line 1: values in a tuple are separated by commas"):
        list(inserted_rows("INSERT INTO yourls_url VALUES ('a' 'b');", tables=ANY_URL_TABLE))


@pytest.mark.parametrize(
    ("quoted", "text"),
    [
        ("'plain'", "plain"),
        ("'it\\'s'", "it's"),
        ("'it''s'", "it's"),
        ("'a\\\\'", "a\\"),
        ("'\\0\\b\\n\\r\\t\\Z'", "\0\b\n\r\t\x1a"),
        ("'100\\% \\_'", "100\\% \\_"),  # MySQL keeps these two escapes as written
        ("'\\\\''x'", "\\'x"),
        ('"say \\"hi\\""', 'say "hi"'),
    ],
)
def test_mysql_string_escapes(quoted: str, text: str) -> None:
    assert unquote(quoted) == text


def test_a_yourls_expression_value_fails_its_row_only() -> None:
    dump = (
        b"INSERT INTO yourls_url VALUES ('a','https://e.example/a','T',NOW(),'::1',1),"
        b"('b','https://e.example/b','T','2020-01-01 00:00:00','::1',2);"
    )
    parsed = yourls.parse_sql(dump, API_LIMITS)
    assert [link.code for link in parsed.links] == ["b"]
    assert problems(parsed) == {1: "malformed_row"}
    with pytest.raises(SourceInvalid, match="no INSERT INTO a YOURLS url table"):
        yourls.parse_sql(b"CREATE TABLE yourls_url (keyword varchar(100));", API_LIMITS)


def test_limits_refuse_the_whole_file() -> None:
    small = Limits(max_bytes=200, max_rows=2)
    three = b"keyword,url\na,https://e.example/a\nb,https://e.example/b\nc,https://e.example/c\n"
    with pytest.raises(SourceTooLarge, match="more than 2 rows"):
        yourls.parse_csv(three, small)
    with pytest.raises(SourceTooLarge, match="at most 200"):
        yourls.parse_csv(three + b"x" * 200, small)
    with pytest.raises(SourceInvalid, match="empty"):
        bitly.parse(b" \r\n", small)
    with pytest.raises(SourceTooLarge):
        shlink.parse_json(b"[" + b",".join([b"{}"] * 3) + b"]", small)
    # A cell beyond what the csv module reads at all (128 KiB): the file, at that row.
    with pytest.raises(SourceInvalid, match="at row 3"):
        yourls.parse_csv(b'keyword,url\na,https://e.example/\nb,"' + b"x" * 200_000 + b'"\n', API_LIMITS)
    with pytest.raises(SourceInvalid, match="first row cannot be read"):
        yourls.parse_csv(b'"' + b"x" * 200_000 + b'",url\n', API_LIMITS)
    with pytest.raises(SourceInvalid, match="header cannot be read"):
        bitly.parse(b'"' + b"x" * 200_000 + b'",url\n', API_LIMITS)


def test_encodings() -> None:
    text = "keyword,url,title\nk,https://e.example/,Café\n"
    for data in (text.encode("utf-8"), codecs.BOM_UTF8 + text.encode("utf-8"), text.encode("utf-16")):
        [link] = yourls.parse_csv(data, API_LIMITS).links
        assert link.title == "Café"
    with pytest.raises(SourceInvalid, match="header has bytes that are not UTF-8"):
        bitly.parse("Destination URL,Link,Titré\n".encode("latin-1"), API_LIMITS)


def test_dates_and_titles() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert date_of("2024-01-02 10:11:12.345+00", now=now) == datetime(2024, 1, 2, 10, 11, 12, 345000, tzinfo=UTC)
    assert date_of("05/10/2023 14:21", now=now) == datetime(2023, 5, 10, 14, 21, tzinfo=UTC)
    assert date_of("1700000000", now=now) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert date_of("0000-00-00 00:00:00", now=now) is None
    for edge in ("9999-12-31T23:59:00-23:00", "0001-01-01T00:00:00+01:00", "1969-12-31"):
        with pytest.raises(RowError, match="out of range"):
            date_of(edge, "expiry date", now=now)
    with pytest.raises(RowError, match="in the future"):
        date_of("2030-01-01", now=now)
    with pytest.raises(RowError, match="not a date"):
        date_of("yesterday", now=now)
    assert title_of("  a\r\n\tb\x00c  ") == "a bc"
    long = title_of("x" * 2_000)
    assert long is not None and len(long) == 500 and long.endswith("…")
    assert title_of(" \n ") is None


def _json(name: str) -> object:
    return orjson.loads(fixture(name))


def _dumps(value: object) -> bytes:
    return orjson.dumps(value)


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


_CSV_LIKE = st.lists(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["https://e.example/x", "NULL", "0000-00-00", "1,234", "9" * 30, "=1+1", "'", '"', "\\"]),
        ),
        max_size=8,
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), _CSV_LIKE.map(_csv)), source=st.sampled_from(sorted(PARSERS)))
def test_any_bytes_give_rows_or_one_source_invalid(data: bytes, source: FileSource) -> None:
    for attempt in (data, b"keyword,url,title,timestamp,ip,clicks\n" + data, b"INSERT INTO yourls_url VALUES " + data):
        try:
            parsed = PARSERS[source](attempt, API_LIMITS)
        except SourceInvalid:
            continue
        for link in parsed.links:
            # What reaches validation and the report is text Postgres and JSON can hold.
            for text in (link.code, link.target, link.title or "", *link.tags):
                text.encode("utf-8")
        for problem in parsed.problems:
            orjson.dumps([problem.reason, problem.code, problem.target])
