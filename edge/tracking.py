"""The decision to record a visit, and the click tuple built from the request."""

from __future__ import annotations

import time

from starlette.types import Scope

from common.client_ip import ClientIpResolver
from edge.clicks import ClickBuffer

# Visitors (and monitoring) can opt a request out of tracking, as Shlink's `nostat` does.
OPT_OUT_PARAM = b"nostat"
_MAX_HEADER = 1024  # user agents and referrers beyond this are truncated: they are analytics, not evidence


class ClickTracker:
    """Turns a served redirect into a click in the buffer. Never raises into the request."""

    __slots__ = ("_buffer", "_client_ip", "_country_header")

    def __init__(self, buffer: ClickBuffer, *, client_ip: ClientIpResolver, country_header: str | None) -> None:
        self._buffer = buffer
        self._client_ip = client_ip
        self._country_header = country_header.lower().encode("latin-1") if country_header else None

    def track(self, scope: Scope, code: str, tag: str = "") -> None:
        """Record the visit of ``code`` (an edge key, or an orphan visit's path); ``tag``: which of a
        routed link's targets it was sent to, or the short domain an orphan visit came to."""
        if scope["method"] == "HEAD":
            return  # a link checker or preview, not a visit (a POST is a protected link's right password)
        query: bytes = scope["query_string"]
        if query and _opted_out(query):
            return
        ip, user_agent, referrer, country = self.seen(scope)
        now_ms = time.time_ns() // 1_000_000
        if tag:
            self._buffer.add((now_ms, code, ip, user_agent, referrer, country, tag))
        else:
            self._buffer.add((now_ms, code, ip, user_agent, referrer, country))

    def seen(self, scope: Scope) -> tuple[str, str, str, str]:
        """The visitor's address, user agent, referrer and country header (when a trusted proxy set it)."""
        user_agent = referrer = country = ""
        forwarded_for = None
        country_header = self._country_header
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value[:_MAX_HEADER].decode("latin-1")
            elif name == b"referer":
                referrer = value[:_MAX_HEADER].decode("latin-1")
            elif name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
            elif name == country_header:
                country = value[:8].decode("latin-1")
        client = scope.get("client")
        peer = client[0] if client else ""
        if forwarded_for is not None and self._client_ip.enabled:
            ip = self._client_ip.resolve(peer, forwarded_for)
        else:
            ip = peer
        if country and not self._client_ip.enabled:
            country = ""  # a country header is only as trustworthy as the proxy that set it
        return ip, user_agent, referrer, country


def _opted_out(query: bytes) -> bool:
    return any(part == OPT_OUT_PARAM or part.startswith(OPT_OUT_PARAM + b"=") for part in query.split(b"&"))
