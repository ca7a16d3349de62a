"""The edge's responses, built once (per link, for a Redirect) and reused for every request.

Each is an ASGI response object: the resolver caches a Redirect, or ``NOT_FOUND`` for a code
that does not redirect; the route returns it and Starlette calls it. Start messages are
prebuilt, so a cache hit allocates almost nothing.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections import defaultdict
from urllib.parse import urlsplit, urlunsplit

from starlette.types import Message, Receive, Scope, Send

from common.records import Expiring, LinkRecord

# Responses sent per HTTP status, by this process: a plain dict add per request; edge/metrics.py
# hands the growth to Prometheus from a background task.
SENT: defaultdict[int, int] = defaultdict(int)

_EMPTY_BODY: Message = {"type": "http.response.body", "body": b"", "more_body": False}
# Redirects are not cached by browsers or proxies so that every visit reaches us and is counted.
_COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"private, no-store"),
    (b"x-robots-tag", b"noindex, nofollow"),
    (b"content-length", b"0"),
)


def _start(status: int, location: str) -> Message:
    # Tuples, not lists: a message holding only tuples of bytes is untracked by the cyclic GC
    # after its first collection, so 100,000 cached links do not lengthen every gen-2 pause.
    return {
        "type": "http.response.start",
        "status": status,
        "headers": ((b"location", location.encode("latin-1")), *_COMMON_HEADERS),
    }


def _ascii_location(target: str) -> str:
    # Targets are stored normalised (punycode host, percent-encoded path), so this is a safety
    # net: a header must be latin-1 and must never carry CR/LF.
    return target.encode("ascii", "backslashreplace").decode("ascii").replace("\r", "").replace("\n", "")


def with_query(target: str, query: str) -> str:
    """``target`` with the incoming query string appended to its own, before any fragment."""
    parts = urlsplit(target)
    merged = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=merged))


class Redirect(Expiring):
    """A ready-to-send redirect for one link; ``is_expired`` as for its LinkRecord."""

    __slots__ = ("expires_at_ms", "forward_query", "location", "start", "status")

    def __init__(self, record: LinkRecord) -> None:
        self.location = _ascii_location(record.target)
        self.status = record.status
        self.expires_at_ms = record.expires_at_ms
        self.forward_query = record.forward_query
        self.start = _start(record.status, self.location)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        SENT[self.status] += 1
        if self.forward_query and scope["query_string"]:
            await send(_start(self.status, with_query(self.location, scope["query_string"].decode("latin-1"))))
        else:
            await send(self.start)
        await send(_EMPTY_BODY)


class LimitedRedirect(Expiring):
    """A click-limited link: its ``redirect`` goes out only once the edge has claimed a use in Redis.

    Not a Redirect, so that the route's one isinstance check on a cache hit keeps unlimited links
    on the fast path; everything the claim needs is worked out here, once per record.
    """

    __slots__ = ("counter_key", "expires_at_ms", "max_clicks", "redirect", "seed")

    def __init__(self, record: LinkRecord, *, counter_key: str) -> None:
        assert record.max_clicks is not None
        self.redirect = Redirect(record)
        self.expires_at_ms = record.expires_at_ms
        self.max_clicks = record.max_clicks
        self.seed = record.clicks  # Postgres's click count when the record was written
        self.counter_key = counter_key


class StaticResponse:
    """A fixed response (404 page, robots.txt, health) sent from prebuilt messages.

    Every one carries ``nosniff`` and a Content-Security-Policy that allows nothing but the 404
    page's own inline style (by its hash): none of them has anything to run or to load.
    """

    __slots__ = ("body", "start", "status")

    def __init__(self, status: int, body: bytes, content_type: bytes, *extra: tuple[bytes, bytes]) -> None:
        self.status = status
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *_SECURITY_HEADERS,
            *extra,
        ]
        self.start: Message = {"type": "http.response.start", "status": status, "headers": headers}
        self.body: Message = {"type": "http.response.body", "body": body, "more_body": False}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        SENT[self.status] += 1
        await send(self.start)
        await send(self.body if scope["method"] != "HEAD" else _EMPTY_BODY)


_NOT_FOUND_STYLE = (
    b"body{font:16px/1.5 system-ui,sans-serif;margin:20vh auto;max-width:32rem;padding:0 1rem;color:#222}"
)
_NOT_FOUND_HTML = (
    b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Link not found</title>
<style>"""
    + _NOT_FOUND_STYLE
    + b"""</style>
</head><body><h1>Link not found</h1>
<p>This short link does not exist, has expired or has been disabled.</p></body></html>
"""
)
_HTML = b"text/html; charset=utf-8"
_TEXT = b"text/plain; charset=utf-8"
_NOINDEX = (b"x-robots-tag", b"noindex, nofollow")


def _style_source(style: bytes) -> bytes:
    """The CSP source allowing exactly this inline style: its SHA-256, so no other style or script runs."""
    return b"'sha256-" + base64.b64encode(hashlib.sha256(style).digest()) + b"'"


CONTENT_SECURITY_POLICY = (
    b"default-src 'none'; style-src "
    + _style_source(_NOT_FOUND_STYLE)
    + b"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY),
)


def too_many_requests(retry_after_s: float) -> StaticResponse:
    """The 429 for a client past its 404 budget; ``Retry-After`` in whole seconds, at least 1."""
    seconds = max(1, math.ceil(retry_after_s))
    return StaticResponse(
        429, b"Too many requests for unknown links\n", _TEXT, _NOINDEX, (b"retry-after", str(seconds).encode())
    )


NOT_FOUND = StaticResponse(404, _NOT_FOUND_HTML, _HTML, _NOINDEX)
UNAVAILABLE = StaticResponse(503, b"Service temporarily unavailable\n", _TEXT, _NOINDEX, (b"retry-after", b"1"))
ROBOTS_TXT = StaticResponse(200, b"User-agent: *\nDisallow: /\n", _TEXT)
ALIVE = StaticResponse(200, b"ok\n", _TEXT)
READY = StaticResponse(200, b"ready\n", _TEXT)
NOT_READY = StaticResponse(503, b"redis unreachable\n", _TEXT)
