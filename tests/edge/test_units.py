"""Pure logic of the edge: cache, client IP, query forwarding, the Redis record encoding."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import time

import pytest

from common.client_ip import ClientIpResolver
from common.linkstore import record_from_row
from common.records import LinkRecord, RecordRejected, decode_click_batch, encode_click_batch
from edge import responses
from edge.cache import LocalCache
from edge.ratelimit import NotFoundLimiter
from edge.tracking import _opted_out


def test_cache_expires_entries_but_keeps_them_for_stale_reads() -> None:
    cache: LocalCache[str] = LocalCache(max_entries=1_000)
    cache.put("a", "A", ttl=10)
    assert cache.get("a") == "A"
    assert cache.get("a", now=time.monotonic() + 11) is None
    assert cache.get_stale("a") == "A"
    cache.evict("a")
    assert cache.get_stale("a") is None


def test_cache_drops_the_oldest_entries_beyond_its_bound() -> None:
    cache: LocalCache[int] = LocalCache(max_entries=1_000)
    for n in range(1_005):
        cache.put(str(n), n, ttl=60)
    # Past the bound the oldest tenth goes at once, so eviction is not paid on every insert.
    # The 1,001st insert evicts 101 entries (the excess and a tenth), then 4 more arrive.
    assert len(cache) == 904
    assert cache.get("0") is None and cache.get("100") is None
    assert cache.get("101") == 101 and cache.get("1004") == 1004


def test_cache_reinsert_refreshes_age() -> None:
    cache: LocalCache[int] = LocalCache(max_entries=1_000)
    for n in range(1_000):
        cache.put(str(n), n, ttl=60)
    cache.put("0", 0, ttl=60)
    cache.put("new", 1, ttl=60)
    assert cache.get("0") == 0 and cache.get("1") is None and cache.get("new") == 1


TRUSTED = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")]


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("10.0.0.2", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.2", "198.51.100.1, 203.0.113.5, 10.1.1.1", "203.0.113.5"),  # rightmost untrusted
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # untrusted peer: header ignored
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "10.0.0.3, 10.0.0.4", "10.0.0.3"),  # all trusted: the client is the leftmost
        ("10.0.0.2", " , 10.0.0.4", "10.0.0.2"),  # all trusted, and the leftmost is no address
        ("::1", "2001:db8::1", "2001:db8::1"),
        ("10.0.0.2", None, "10.0.0.2"),
    ],
)
def test_client_ip_believes_forwarded_for_only_from_trusted_proxies(
    peer: str, header: str | None, expected: str
) -> None:
    assert ClientIpResolver(TRUSTED).resolve(peer, header) == expected


def test_client_ip_without_trusted_proxies_is_the_peer() -> None:
    assert ClientIpResolver([]).resolve("10.0.0.2", "1.2.3.4") == "10.0.0.2"


@pytest.mark.parametrize(
    ("target", "query", "expected"),
    [
        ("https://e.com/p", "a=1", "https://e.com/p?a=1"),
        ("https://e.com/p?x=1", "a=1", "https://e.com/p?x=1&a=1"),
        ("https://e.com/p?x=1#frag", "a=1&b=2", "https://e.com/p?x=1&a=1&b=2#frag"),
        ("https://e.com", "a=1", "https://e.com?a=1"),
    ],
)
def test_with_query_merges_before_the_fragment(target: str, query: str, expected: str) -> None:
    assert responses.with_query(target, query) == expected


def test_redirect_location_can_never_carry_a_line_break() -> None:
    redirect = responses.Redirect(LinkRecord(target="https://e.com/\r\nSet-Cookie: x=1", status=301))
    assert b"\r" not in redirect.start["headers"][0][1] and b"\n" not in redirect.start["headers"][0][1]
    assert redirect.start["status"] == 301


def test_link_record_round_trips() -> None:
    record = LinkRecord(target="https://e.com/ü", status=307, expires_at_ms=1_900_000_000_000, forward_query=True)
    assert LinkRecord.decode(record.encode()) == record
    assert record.is_expired(now_ms=1_900_000_000_000) and not record.is_expired(now_ms=1_899_999_999_999)


@pytest.mark.parametrize(
    ("expires_at_ms", "now_ms", "expired"),
    [
        (None, 2_000_000_000_000, False),
        (1_900_000_000_000, 1_899_999_999_999, False),
        (1_900_000_000_000, 1_900_000_000_000, True),
    ],
)
def test_a_cached_redirect_expires_exactly_when_its_link_does(
    expires_at_ms: int | None, now_ms: int, expired: bool
) -> None:
    record = LinkRecord(target="https://e.com/", expires_at_ms=expires_at_ms)
    assert responses.Redirect(record).is_expired(now_ms) is record.is_expired(now_ms) is expired


def test_click_batch_round_trips() -> None:
    clicks = [(1, "a", "1.2.3.4", "ua", "", "NL"), (2, "b", "::1", "", "https://r/", "")]
    assert decode_click_batch(encode_click_batch(clicks)) == clicks


@pytest.mark.parametrize(
    ("query", "opted_out"), [(b"nostat", True), (b"a=1&nostat=1", True), (b"nostats=1", False), (b"a=nostat", False)]
)
def test_nostat_parameter(query: bytes, opted_out: bool) -> None:
    assert _opted_out(query) is opted_out


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        b'"a string"',
        b"null",
        b'{"t": "https://e.com/"}',  # fields missing
        b'{"t": 5, "s": 302, "e": null, "q": false, "v": 1}',
        b'{"t": "https://e.com/", "s": "302", "e": null, "q": false, "v": 1}',
        b'{"t": "https://e.com/", "s": true, "e": null, "q": false, "v": 1}',
        b'{"t": "https://e.com/", "s": 302, "e": "soon", "q": false, "v": 1}',
        b'{"t": "https://e.com/", "s": 302, "e": null, "q": 1, "v": 1}',
        b'{"t": "https://e.com/", "s": 302, "e": null, "q": false, "v": 1, "m": 0, "c": 0, "i": 1}',
        b'{"t": "https://e.com/", "s": 302, "e": null, "q": false, "v": 1, "m": 5, "c": "x", "i": 1}',
    ],
)
def test_a_record_of_another_shape_is_rejected_as_malformed(raw: bytes) -> None:
    with pytest.raises(RecordRejected) as rejected:
        LinkRecord.decode(raw)
    assert rejected.value.reason == "malformed"


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("javascript:alert(document.cookie)", 302),
        ("JavaScript:alert(1)", 302),
        ("data:text/html,<script>alert(1)</script>", 302),
        (" javascript:alert(1)", 302),
        ("java\tscript:alert(1)", 302),
        ("vbscript:msgbox(1)", 302),
        ("//evil.example/", 302),
        ("ftp://e.com/", 302),
        ("https://e.com/\r\nSet-Cookie: a=1", 302),
        ("https://e.com/", 200),
        ("https://e.com/", 304),
        ("https://e.com/", 500),
    ],
)
def test_a_record_with_a_non_http_target_or_a_non_redirect_status_is_rejected_as_unsafe(
    target: str, status: int
) -> None:
    raw = LinkRecord(target=target, status=status).encode()
    with pytest.raises(RecordRejected) as rejected:
        LinkRecord.decode(raw)
    assert rejected.value.reason == "unsafe"


@pytest.mark.parametrize("target", ["https://e.com/", "http://e.com/p?q=1", "HTTPS://E.COM/"])
def test_http_and_https_records_decode(target: str) -> None:
    assert LinkRecord.decode(LinkRecord(target=target, status=308).encode()).target == target


def test_records_without_click_limit_fields_decode_as_unlimited() -> None:
    old = b'{"t": "https://e.com/", "s": 302, "e": null, "q": false, "v": 4}'
    assert LinkRecord.decode(old) == LinkRecord(target="https://e.com/", version=4)
    limited = LinkRecord(target="https://e.com/", max_clicks=5, clicks=3, link_id=9)
    assert LinkRecord.decode(limited.encode()) == limited
    assert b'"m"' not in LinkRecord(target="https://e.com/").encode()  # unlimited records stay as they were


def test_postgres_rows_with_unsafe_targets_are_not_servable() -> None:
    row = {
        "id": 1,
        "code": "js",
        "edge_key": "js",
        "target_url": "javascript:alert(1)",
        "redirect_status": 302,
        "expires_at": None,
        "max_clicks": None,
        "forward_query": False,
        "disabled": False,
        "click_count": 0,
        "version": 1,
        "password_hash": None,
        **dict.fromkeys(("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")),
        **dict.fromkeys(("preview_title", "preview_description", "preview_image", "rules", "variants")),
    }
    assert record_from_row(row) is None
    assert record_from_row(row | {"target_url": "https://e.com/"}) == LinkRecord(target="https://e.com/")
    assert record_from_row(row | {"target_url": "https://e.com/", "redirect_status": 200}) is None


def test_the_not_found_page_style_is_the_one_its_policy_allows() -> None:
    headers = dict(responses.NOT_FOUND.start["headers"])
    body: bytes = responses.NOT_FOUND.body["body"]
    style = body.split(b"<style>", 1)[1].split(b"</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(style).digest())
    policy = headers[b"content-security-policy"]
    assert policy.startswith(b"default-src 'none';")
    assert b"style-src 'sha256-" + digest + b"'" in policy
    assert b"script" not in policy and b"unsafe-inline" not in policy
    assert body.count(b"<style>") == 1 and b"style=" not in body and b"<script" not in body


def test_not_found_budget_refuses_past_the_burst_and_refills_at_the_rate() -> None:
    limiter = NotFoundLimiter(rate=1000, burst=3, client_ip=ClientIpResolver([]))
    scope = {"type": "http", "client": ("203.0.113.1", 1), "headers": []}
    other = {"type": "http", "client": ("203.0.113.2", 1), "headers": []}
    answers = [limiter.answer(scope, responses.NOT_FOUND) for _ in range(4)]
    assert answers[:3] == [responses.NOT_FOUND] * 3 and answers[3] is limiter.too_many
    assert limiter.throttled(scope) and not limiter.throttled(other)
    assert limiter.answer(other, responses.NOT_FOUND) is responses.NOT_FOUND
    # One 404 comes back every 1 ms.
    deadline = time.monotonic() + 1
    while limiter.throttled(scope) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert limiter.answer(scope, responses.NOT_FOUND) is responses.NOT_FOUND
    assert dict(limiter.too_many.start["headers"])[b"retry-after"] == b"1"


def test_not_found_budget_counts_ipv6_per_64_and_stays_bounded() -> None:
    limiter = NotFoundLimiter(rate=1, burst=1, client_ip=ClientIpResolver([]), max_addresses=100)
    first = {"type": "http", "client": ("2001:db8:1:2::5", 1), "headers": []}
    same_64 = {"type": "http", "client": ("2001:db8:1:2:ffff::9", 1), "headers": []}
    assert limiter.answer(first, responses.NOT_FOUND) is responses.NOT_FOUND
    assert limiter.answer(same_64, responses.NOT_FOUND) is limiter.too_many
    for n in range(1_000):
        limiter.answer(
            {"type": "http", "client": (f"198.51.{n // 256}.{n % 256}", 1), "headers": []}, responses.NOT_FOUND
        )
    assert len(limiter._full) <= 100


def test_not_found_budget_is_per_forwarded_client_behind_a_trusted_proxy() -> None:
    limiter = NotFoundLimiter(rate=1, burst=1, client_ip=ClientIpResolver(TRUSTED))

    def via_proxy(client: str) -> dict[str, object]:
        return {"type": "http", "client": ("10.0.0.2", 1), "headers": [(b"x-forwarded-for", client.encode())]}

    assert limiter.answer(via_proxy("203.0.113.5"), responses.NOT_FOUND) is responses.NOT_FOUND
    assert limiter.answer(via_proxy("203.0.113.6"), responses.NOT_FOUND) is responses.NOT_FOUND
    assert limiter.answer(via_proxy("203.0.113.5"), responses.NOT_FOUND) is limiter.too_many
