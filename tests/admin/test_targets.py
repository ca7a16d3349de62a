"""Target validation: hosts are checked as a browser (WHATWG URL parsing) will read them."""

from __future__ import annotations

import pytest

from admin.targets import TargetRejected, normalize_target
from common.settings import AdminSettings, SettingsError, canonical_domain, load_settings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
        ("HTTPS://Example.COM", "https://example.com/"),
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("  https://example.com/  ", "https://example.com/"),
        # WHATWG: a special URL skips any slashes before its host, so this is the host "path-only".
        ("https:///path-only", "https://path-only/"),
        ("https://%62%6C%6Fg.example/", "https://blog.example/"),
        ("https:\\\\example.com\\a\\b", "https://example.com/a/b"),
        ("https://ｅｘａｍｐｌｅ。com/", "https://example.com/"),
        ("https://example.com./", "https://example.com./"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0177.0.0.1/", "http://127.0.0.1/"),
        ("https://example.com:443/a/../b", "https://example.com/b"),
        ("https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/"),
    ],
)
def test_targets_are_canonical_as_browsers_read_them(url: str, expected: str) -> None:
    assert normalize_target(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "scheme"),
        ("data:text/html,<script>alert(1)</script>", "scheme"),
        ("ftp://example.com/file", "scheme"),
        ("example.com", "scheme"),
        ("https://user:pass@example.com/", "credentials"),
        ("https://example.com@evil.example/", "credentials"),
        ("https://example.com/\r\nSet-Cookie: a=1", "control_characters"),
        ("https://example.com/\x00", "control_characters"),
        ("https://exa\tmple.com/", "control_characters"),
        ("https://ex ample.com/", "invalid_host"),
        ("https://exa<mple.com/", "invalid_host"),
        ("https://⒈.com/", "invalid_host"),
        ("http://1.2.3.4.5/", "invalid_host"),
        ("https://", "invalid_host"),
        ("https://example.com/\ud800", "malformed"),
        ("https://example.com/" + "a" * 2048, "too_long"),
        ("https://example.com/" + "é" * 700, "too_long"),  # 700 characters, 4,200 once percent-encoded
        ("https://example.com:99999/", "malformed"),
        ("https://sho.rt/abc", "loop"),
        ("https://ads.evil.example/x", "blocked_domain"),
    ],
)
def test_bad_targets_are_rejected_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(TargetRejected) as raised:
        normalize_target(url, short_hosts=["sho.rt"], blocked_domains=["evil.example"])
    assert raised.value.reason == reason


# Every way of writing a host that a browser reads as blocked.example (or hop.example, or 127.0.0.1).
HOSTILE_HOSTS = [
    "{host}",
    "{HOST}",
    "{host}.",
    "{host}..",
    "sub.{host}",
    "sub.{host}.",
    "{pct_host}",
    "{pct_dot_host}",
    "{fullwidth_host}",
    "{ideographic_dot_host}",
]
HOSTILE_URLS = [
    "https://{}/",
    "HTTPS://{}/x",
    "https:\\\\{}\\x",
    "https:/\\{}/x",
    "https:{}/x",
    "https:///{}/x",
    "https://{}:443/x",
    "http://{}:8080/x",
    "https://{}/%2e%2e/x",
]


def _spellings(host: str) -> list[str]:
    """``host`` as the hostile table writes it, then inside every URL shape."""
    first, _, rest = host.partition(".")
    forms = {
        "host": host,
        "HOST": host.upper(),
        "pct_host": "".join(f"%{ord(c):02x}" for c in first) + "." + rest,
        "pct_dot_host": f"{first}%2e{rest}",
        "fullwidth_host": "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in host),
        "ideographic_dot_host": host.replace(".", "\u3002"),
    }
    return [url.format(pattern.format(**forms)) for pattern in HOSTILE_HOSTS for url in HOSTILE_URLS]


@pytest.mark.parametrize("url", _spellings("blocked.example"))
def test_every_spelling_of_a_blocked_domain_is_blocked(url: str) -> None:
    with pytest.raises(TargetRejected) as raised:
        normalize_target(url, blocked_domains=["Blocked.Example."])
    assert raised.value.reason == "blocked_domain", url


@pytest.mark.parametrize("url", _spellings("hop.example"))
def test_every_spelling_of_the_short_domain_is_a_loop(url: str) -> None:
    with pytest.raises(TargetRejected) as raised:
        normalize_target(url, short_hosts=["hop.example"])
    assert raised.value.reason == "loop", url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://0177.0.0.01/",
        "http://127.1/",
        "http://127.0.0.1./",
        "http://%31%32%37.0.0.1/",
        "http://１２７.０.０.１/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
    ],
)
def test_every_ipv4_form_of_a_blocked_address_is_blocked(url: str) -> None:
    for lists in ({"blocked_domains": ["127.0.0.1"]}, {"short_hosts": ["127.0.0.1"]}):
        with pytest.raises(TargetRejected):
            normalize_target(url, **lists)


@pytest.mark.parametrize(
    "url",
    ["https://notblocked.example/", "https://blocked.example.org/", "https://example/", "https://blocked-example/"],
)
def test_lookalike_domains_are_not_blocked(url: str) -> None:
    assert normalize_target(url, short_hosts=["hop.example"], blocked_domains=["blocked.example"]) == url


@pytest.mark.parametrize(
    ("entry", "canonical"),
    [
        ("Blocked.Example.", "blocked.example"),
        (" .blocked.example ", "blocked.example"),
        ("*.blocked.example", "blocked.example"),
        ("Bücher.Example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("ＢＬＯＣＫＥＤ。example", "blocked.example"),
        ("%62locked.example", "blocked.example"),
        ("0x7f.1", "127.0.0.1"),
        ("[::1]", "[::1]"),
    ],
)
def test_blocked_domain_entries_are_canonical(entry: str, canonical: str) -> None:
    assert canonical_domain(entry) == canonical
    assert load_settings(AdminSettings, blocked_domains=f"ok.example,{entry}").blocked_domains == [
        "ok.example",
        canonical,
    ]


def test_a_unicode_blocked_entry_blocks_both_spellings_of_the_domain() -> None:
    blocked = load_settings(AdminSettings, blocked_domains="Bücher.Example.").blocked_domains
    for url in ("https://BÜCHER.example/", "https://xn--bcher-kva.example/", "https://a.bu\u0308cher.example/"):
        with pytest.raises(TargetRejected) as raised:
            normalize_target(url, blocked_domains=blocked)
        assert raised.value.reason == "blocked_domain", url


@pytest.mark.parametrize(
    "entry", ["https://evil.example", "evil.example/path", "user@evil.example", "evil.example:8080", "ex ample.com"]
)
def test_a_blocked_entry_that_is_not_a_host_stops_start_up(entry: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(AdminSettings, blocked_domains=f"ok.example,{entry}")
    assert "HOP_BLOCKED_DOMAINS" in str(raised.value) and repr(entry) in str(raised.value)
