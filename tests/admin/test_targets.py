from __future__ import annotations

import pytest

from admin.targets import TargetRejected, normalize_target


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
        ("HTTPS://Example.COM", "https://example.com/"),
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("  https://example.com/  ", "https://example.com/"),
    ],
)
def test_targets_are_normalised(url: str, expected: str) -> None:
    assert normalize_target(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "scheme"),
        ("ftp://example.com/file", "scheme"),
        ("example.com", "scheme"),
        ("https://user:pass@example.com/", "credentials"),
        ("https://example.com/\r\nSet-Cookie: a=1", "control_characters"),
        ("https://example.com/\x00", "control_characters"),
        ("https:///path-only", "invalid_host"),
        ("https://example.com/" + "a" * 2048, "too_long"),
        ("https://example.com:99999/", "malformed"),
        ("https://sho.rt/abc", "loop"),
        ("https://ads.evil.example/x", "blocked_domain"),
    ],
)
def test_bad_targets_are_rejected_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(TargetRejected) as raised:
        normalize_target(url, short_hosts=["sho.rt"], blocked_domains=["evil.example"])
    assert raised.value.reason == reason
