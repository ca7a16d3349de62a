"""Edge keys and domain names as the edge, the worker and admin all spell them (common/domains.py)."""

from __future__ import annotations

import pytest

from common.domains import authority, default_domain, edge_key, split_edge_key


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("go.example", "go.example"),
        ("Go.Example.", "go.example"),  # case and the DNS root's dot
        ("go.example:443", "go.example"),  # the ports browsers leave out
        ("go.example:80", "go.example"),
        ("localhost:8000", "localhost:8000"),  # any other port is part of the domain
        ("[::1]:8000", "[::1]:8000"),
        ("[::1]", "[::1]"),
        (" go.example ", "go.example"),
    ],
)
def test_hosts_are_compared_as_browsers_send_them(sent: str, stored: str) -> None:
    assert authority(sent) == stored


def test_the_default_domain_is_the_short_base_urls_authority() -> None:
    assert default_domain("https://Sho.RT") == "sho.rt"
    assert default_domain("http://127.0.0.1:8000") == "127.0.0.1:8000"


def test_an_edge_key_is_the_code_on_the_default_domain_and_domain_slash_code_elsewhere() -> None:
    assert edge_key(None, "abc") == "abc"
    assert edge_key("go.example:8080", "abc") == "go.example:8080/abc"
    assert split_edge_key("abc") == (None, "abc")
    assert split_edge_key("go.example:8080/abc") == ("go.example:8080", "abc")
