"""Pure logic of the edge: cache, client IP, query forwarding, the Redis record encoding."""

from __future__ import annotations

import ipaddress
import time

import pytest

from common.client_ip import ClientIpResolver
from common.records import LinkRecord, decode_click_batch, encode_click_batch
from edge import responses
from edge.cache import LocalCache
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
