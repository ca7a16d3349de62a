"""Validation and normalisation of link targets: what may sit behind a short link."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

MAX_TARGET_LENGTH = 2048
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Characters that may stand in a URL's path/query/fragment as they are; the rest is percent-encoded.
_SAFE = "/?#[]@!$&'()*+,;=%:~-._"


class TargetRejected(ValueError):
    """A target URL we refuse; ``reason`` is a stable machine-readable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _idna_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise TargetRejected("invalid_host", f"the host {host!r} is not a valid domain name") from error


def _host_matches(host: str, domains: Iterable[str]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def normalize_target(url: str, *, short_hosts: Iterable[str] = (), blocked_domains: Iterable[str] = ()) -> str:
    """The target in canonical form: punycode host, percent-encoded path, no credentials.

    Raises:
        TargetRejected: for a scheme other than http(s), a URL over 2,048 characters, control
            characters or CR/LF, credentials, a missing or invalid host, a link to the short
            domain itself, or a blocked domain.
    """
    url = url.strip(" ")
    if len(url) > MAX_TARGET_LENGTH:
        raise TargetRejected("too_long", f"the URL is longer than {MAX_TARGET_LENGTH} characters")
    if _CONTROL_RE.search(url):
        raise TargetRejected("control_characters", "the URL contains control characters or line breaks")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRejected("malformed", f"the URL cannot be parsed: {error}") from error
    if parts.scheme.lower() not in {"http", "https"}:
        raise TargetRejected("scheme", "only http:// and https:// URLs can be shortened")
    if parts.username is not None or parts.password is not None:
        raise TargetRejected("credentials", "URLs with a user name or password are refused")
    if not parts.hostname:
        raise TargetRejected("invalid_host", "the URL has no host")
    host = _idna_host(parts.hostname.rstrip(".").lower())
    if _host_matches(host, (h.lower() for h in short_hosts)):
        raise TargetRejected("loop", "a short link cannot point at the short domain itself")
    if _host_matches(host, (d.lower().lstrip(".") for d in blocked_domains)):
        raise TargetRejected("blocked_domain", f"links to {host} are not allowed")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = quote(parts.path, safe=_SAFE) or "/"
    normalized = urlunsplit(
        (parts.scheme.lower(), netloc, path, quote(parts.query, safe=_SAFE), quote(parts.fragment, safe=_SAFE))
    )
    if len(normalized) > MAX_TARGET_LENGTH:
        raise TargetRejected("too_long", f"the URL is longer than {MAX_TARGET_LENGTH} characters once encoded")
    return normalized
