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
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from starlette.types import Message, Receive, Scope, Send

from common.records import Expiring, LinkRecord

if TYPE_CHECKING:
    from edge.routes import RoutedRedirect

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

    def __init__(self, record: LinkRecord, redirect: Redirect | RoutedRedirect, *, counter_key: str) -> None:
        assert record.max_clicks is not None
        self.redirect = redirect
        self.expires_at_ms = record.expires_at_ms
        self.max_clicks = record.max_clicks
        self.seed = record.clicks  # Postgres's click count when the record was written
        self.counter_key = counter_key


class ProtectedLink(Expiring):
    """A password-protected link: its ``inner`` response goes out only to a visitor who has entered
    the password (edge/unlock.py). Not a Redirect, so that open links keep the fast path."""

    __slots__ = ("expires_at_ms", "inner", "password_hash")

    def __init__(self, record: LinkRecord, inner: Redirect | LimitedRedirect | RoutedRedirect) -> None:
        assert record.password_hash is not None
        self.inner = inner
        self.expires_at_ms = record.expires_at_ms
        self.password_hash = record.password_hash


class UnlockedRedirect:
    """The answer to a right password: 303 to the target (a GET, whatever the link's own status),
    with the cookie that lets the next visits through."""

    __slots__ = ("start",)

    def __init__(self, redirect: Redirect, cookie: bytes, query: bytes) -> None:
        location = redirect.location
        if redirect.forward_query and query:
            location = with_query(location, query.decode("latin-1"))
        start = _start(303, location)
        start["headers"] = (*start["headers"], (b"set-cookie", cookie))
        self.start = start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        SENT[303] += 1
        await send(self.start)
        await send(_EMPTY_BODY)


class StaticResponse:
    """A fixed response (404 page, robots.txt, health) sent from prebuilt messages.

    Every one carries ``nosniff`` and a Content-Security-Policy that allows nothing but the page's
    own inline style (by its hash), and a form only on the password pages: none of them has
    anything to run or to load.
    """

    __slots__ = ("body", "start", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: bytes,
        *extra: tuple[bytes, bytes],
        policy: bytes | None = None,
    ) -> None:
        self.status = status
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"content-security-policy", policy or CONTENT_SECURITY_POLICY),
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
HTML = b"text/html; charset=utf-8"
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


def too_many_requests(retry_after_s: float) -> StaticResponse:
    """The 429 for a client past its 404 budget; ``Retry-After`` in whole seconds, at least 1."""
    seconds = max(1, math.ceil(retry_after_s))
    return StaticResponse(
        429, b"Too many requests for unknown links\n", _TEXT, _NOINDEX, (b"retry-after", str(seconds).encode())
    )


NOT_FOUND = StaticResponse(404, _NOT_FOUND_HTML, HTML, _NOINDEX)
UNAVAILABLE = StaticResponse(503, b"Service temporarily unavailable\n", _TEXT, _NOINDEX, (b"retry-after", b"1"))
SERVER_ERROR = StaticResponse(500, b"Internal server error\n", _TEXT, _NOINDEX)
ROBOTS_TXT = StaticResponse(200, b"User-agent: *\nDisallow: /\n", _TEXT)
ALIVE = StaticResponse(200, b"ok\n", _TEXT)
READY = StaticResponse(200, b"ready\n", _TEXT)
NOT_READY = StaticResponse(503, b"redis unreachable\n", _TEXT)
METHOD_NOT_ALLOWED = StaticResponse(405, b"Method not allowed\n", _TEXT, (b"allow", b"GET, HEAD"))

# --- the password pages of a protected link (edge/unlock.py)

_UNLOCK_STYLE = (
    b"body{font:16px/1.5 system-ui,sans-serif;margin:15vh auto;max-width:24rem;padding:0 1rem;"
    b"color:#1f2328;background:#fff}"
    b"label{display:block;font-weight:600;margin:1rem 0 .25rem}"
    b"input{box-sizing:border-box;width:100%;font:inherit;padding:.5rem;border:1px solid #6e7781;border-radius:6px}"
    b"button{margin-top:1rem;font:inherit;font-weight:600;padding:.5rem 1rem;border:0;border-radius:6px;"
    b"color:#fff;background:#1f6feb;cursor:pointer}"
    b"input:focus-visible,button:focus-visible{outline:3px solid #0969da;outline-offset:2px}"
    b".error{color:#b42318;font-weight:600}"
    b"@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}"
    b"input{color:#e6edf3;background:#161b22;border-color:#8b949e}.error{color:#ff8f80}"
    b"button{background:#1f6feb}}"
)
# A POST that succeeds ends in a redirect to the link's target, any http(s) origin: form-action
# must allow it, as browsers apply it to the redirects that follow a form's submission.
_UNLOCK_POLICY = (
    b"default-src 'none'; style-src "
    + _style_source(_UNLOCK_STYLE)
    + b"; form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'"
)


def _unlock_page(message: bytes = b"") -> bytes:
    notice = b'<p class="error" role="alert">' + message + b"</p>" if message else b""
    return (
        b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<title>Password required</title><style>"""
        + _UNLOCK_STYLE
        + b"""</style></head><body><main>
<h1>This link is protected</h1>
<p>Enter the password you were given to continue.</p>"""
        + notice
        + b"""
<form method="post"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus
 maxlength="256">
<button type="submit">Continue</button></form></main></body></html>
"""
    )


def _unlock_response(status: int, message: bytes = b"", *extra: tuple[bytes, bytes]) -> StaticResponse:
    return StaticResponse(status, _unlock_page(message), HTML, _NOINDEX, *extra, policy=_UNLOCK_POLICY)


UNLOCK_FORM = _unlock_response(200)
UNLOCK_WRONG = _unlock_response(403, b"That password is not right. Try again.")
UNLOCK_BAD_FORM = _unlock_response(400, b"Enter the password in the form below.")


def unlock_throttled(retry_after_s: int) -> StaticResponse:
    """Too many wrong passwords from this address for this link: the form, closed for a while."""
    minutes = max(1, math.ceil(retry_after_s / 60))
    message = f"Too many attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}.".encode()
    return _unlock_response(429, message, (b"retry-after", str(retry_after_s).encode()))
