"""Validation and canonicalisation of link targets: what may sit behind a short link.

A target is parsed as a browser parses it (WHATWG URL Standard, with ada, the parser of
Node.js), and every check runs on the host the browser will connect to: ``https://%62locked.example/``,
``https:\\\\blocked.example``, ``https://BLOCKED.example./`` and ``https://ｂｌｏｃｋｅｄ.example/`` all
reach ``blocked.example``. What is stored, and what the edge redirects to, is that canonical URL.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import ada_url

from common.settings import canonical_domain

if TYPE_CHECKING:
    from ada_url.ada_adapter import ParseAttributes

MAX_TARGET_LENGTH = 2048
# What the parser is given at most; its canonical output is then held to MAX_TARGET_LENGTH.
MAX_INPUT_LENGTH = 2 * MAX_TARGET_LENGTH
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_HTTP_SCHEME_RE = re.compile(r"https?:", re.IGNORECASE)
_SCHEMES = frozenset({"http:", "https:"})
_URL_PARTS = ("href", "protocol", "username", "password", "hostname")


class TargetRejected(ValueError):
    """A target URL we refuse; ``reason`` is a stable machine-readable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _unparseable(url: str) -> TargetRejected:
    # The URL is refused either way; this only picks the most helpful reason.
    if not _HTTP_SCHEME_RE.match(url):
        return TargetRejected("scheme", "only http:// and https:// URLs can be shortened")
    if not _port_readable(url):
        return TargetRejected("malformed", "the URL cannot be parsed: the port is not a number from 0 to 65535")
    return TargetRejected("invalid_host", "the host is not a valid domain name or IP address")


def _port_readable(url: str) -> bool:
    try:
        port = urlsplit(url.replace("\\", "/")).port
    except ValueError:
        return False
    return port is None or port >= 0


def _parse(url: str) -> ParseAttributes:
    if len(url) > MAX_INPUT_LENGTH:
        raise TargetRejected("too_long", f"the URL is longer than {MAX_TARGET_LENGTH} characters")
    if _CONTROL_RE.search(url):
        raise TargetRejected("control_characters", "the URL contains control characters or line breaks")
    if not url.isascii() and not _encodable(url):
        raise TargetRejected("malformed", "the URL is not valid Unicode text")
    try:
        return ada_url.parse_url(url, attributes=_URL_PARTS)
    except ValueError:
        raise _unparseable(url) from None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, which JSON can carry
        return False
    return True


def host_names(hostname: str) -> frozenset[str]:
    """The names a check must look up for ``hostname`` (canonical, as the parser gives it): the
    host without trailing dots and each parent domain; for an IPv4-mapped IPv6 address, the IPv4 too."""
    if hostname.startswith("["):
        address = ipaddress.IPv6Address(hostname[1:-1])
        mapped = address.ipv4_mapped
        return frozenset({hostname} if mapped is None else {hostname, str(mapped)})
    labels = hostname.rstrip(".").split(".")
    return frozenset(".".join(labels[index:]) for index in range(len(labels)))


@lru_cache(maxsize=32)
def _domain_set(entries: tuple[str, ...]) -> frozenset[str]:
    # Settings hold canonical entries already; this keeps direct callers honest, once per list.
    return frozenset(canonical_domain(entry) for entry in entries)


@lru_cache(maxsize=8)
def short_domain(short_base: str) -> str:
    """The canonical host of the short-link base URL (what the loop check compares with)."""
    return canonical_domain(ada_url.parse_url(short_base, attributes=("hostname",))["hostname"])


def normalize_target(url: str, *, short_hosts: Iterable[str] = (), blocked_domains: Iterable[str] = ()) -> str:
    """The target as a browser reads it (WHATWG canonical URL), after checking that host.

    ``short_hosts`` and ``blocked_domains`` are domains (or IP addresses) refused with their
    subdomains; they are canonicalised like the target's host.

    Raises:
        TargetRejected: for a scheme other than http(s), a canonical URL over 2,048 characters,
            control characters or CR/LF, credentials, a host a browser would not accept, a link to
            the short domain itself, or a blocked domain.
    """
    parts = _parse(url.strip(" "))
    if parts["protocol"] not in _SCHEMES:
        raise TargetRejected("scheme", "only http:// and https:// URLs can be shortened")
    if parts["username"] or parts["password"]:
        raise TargetRejected("credentials", "URLs with a user name or password are refused")
    names = host_names(parts["hostname"])
    if names & _domain_set(tuple(short_hosts)):
        raise TargetRejected("loop", "a short link cannot point at the short domain itself")
    if names & _domain_set(tuple(blocked_domains)):
        raise TargetRejected("blocked_domain", f"links to {parts['hostname']} are not allowed")
    return _checked_href(parts["href"])


def _checked_href(href: str) -> str:
    if len(href) > MAX_TARGET_LENGTH:
        raise TargetRejected("too_long", f"the URL is longer than {MAX_TARGET_LENGTH} characters once canonical")
    # The parser percent-encodes everything else; this guards the Location header against a parser bug.
    if not href.isascii() or _CONTROL_RE.search(href):
        raise TargetRejected("malformed", "the URL cannot be made safe for a redirect")
    return href
