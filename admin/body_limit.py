"""Guards on request bodies, before the app reads them.

- ``BodyLimitMiddleware``: a cap on body size, answered as a 413 problem before the app reads a
  byte too many; and a body timeout, answered as a 408 problem: Granian has none (only a header
  timeout), so a client that sends its headers and then trickles or withholds the body would hold
  a connection slot, and the request's task, for as long as it likes. Both answers close the connection.
- ``StrictJsonMiddleware``: JSON that Python's parser accepts but no store can hold (lone
  surrogates such as ``"\\ud800"``, ``NaN``, ``Infinity``) is a 422 problem, before any route
  sees it: Postgres and orjson refuse such strings, which was a 500 halfway through a request.
"""

from __future__ import annotations

import asyncio
import json
from typing import NoReturn

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.problems import Problem, problem_response

# A bulk request of 1,000 links with 2 KB targets fits with room to spare.
MAX_BODY_BYTES = 4 * 1024 * 1024


class BodyLimitError(Exception):
    """A request body broke a limit; BodyLimitMiddleware answers it."""


class BodyTooLarge(BodyLimitError):
    pass


class BodyTimeout(BodyLimitError):
    pass


class BodyLimitMiddleware:
    """At most ``max_bytes`` of body, arriving within ``timeout`` seconds of the request's headers and
    with no pause over ``idle_timeout`` seconds between chunks (the settings HOP_ADMIN_BODY_TIMEOUT and
    HOP_ADMIN_BODY_IDLE_TIMEOUT)."""

    def __init__(self, app: ASGIApp, *, timeout: float, idle_timeout: float, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.idle_timeout = idle_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(BodyTooLarge(), scope, receive, send)
            return
        body = _GuardedBody(self, scope, receive, send)
        try:
            await self.app(scope, body.receive, body.send)
        except BodyLimitError as error:
            if body.started:
                raise
            await self._reject(error, scope, receive, send)
        finally:
            body.detach()

    async def _reject(self, error: BodyLimitError, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(self._problem(error))
        # The rest of the body is unread: the connection cannot carry another request.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    def _problem(self, error: BodyLimitError) -> Problem:
        if isinstance(error, BodyTimeout):
            detail = (
                f"the request body did not arrive in time: it may take {self.timeout:g} s in whole "
                f"and pause {self.idle_timeout:g} s at most"
            )
            return Problem(408, "body_timeout", detail)
        return Problem(413, "body_too_large", f"the request body is larger than {self.max_bytes} bytes")


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0").strip() not in (b"", b"0")


class _GuardedBody:
    """One request's receive and send. While the body is outstanding, receive counts it against the
    size cap (chunked bodies carry no length) and times it. Once a limit is broken every later send
    raises it again: FastAPI turns an error while it reads a body into a 400 of its own, and the
    answer must stay the middleware's."""

    def __init__(self, limits: BodyLimitMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        self._limits = limits
        self._receive = receive
        self._send = send
        self._pending = _has_body(scope)
        self._received = 0
        self._deadline = asyncio.get_running_loop().time() + limits.timeout
        self._broken: type[BodyLimitError] | None = None
        self.started = False

    async def receive(self) -> Message:
        if not self._pending:
            # No body, or all of it: what comes next is a disconnect, which may wait as long as the response.
            return await self._receive()
        message = await self._timed_receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._limits.max_bytes:
                self._fail(BodyTooLarge)
        self._pending = message.get("more_body", False)
        return message

    async def _timed_receive(self) -> Message:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(min(loop.time() + self._limits.idle_timeout, self._deadline)):
                return await self._receive()
        except TimeoutError:
            self._fail(BodyTimeout)

    def _fail(self, error: type[BodyLimitError]) -> NoReturn:
        self._broken = error
        raise error

    async def send(self, message: Message) -> None:
        if self._broken is not None:
            raise self._broken
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    def detach(self) -> None:
        """Let go of the server's receive and send once the request is over. Granian closes a
        connection whose body is unread only once it drops that body, which its receive holds; and
        references to this object can outlive the request (the frames of the exceptions a broken
        limit leaves behind, until the cyclic GC runs). Without this, a third of 48 connections
        answered 408 together stayed open for seconds after their answer, each holding a slot."""
        self._receive = _disconnected
        self._send = _discard


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}


async def _discard(message: Message) -> None:
    pass


def _declares_json(scope: Scope) -> bool:
    """True when FastAPI would parse the body as JSON: a JSON content type (strict_content_type,
    FastAPI's default, reads a body without one as bytes)."""
    content_type: bytes | None = dict(scope["headers"]).get(b"content-type")
    if content_type is None:
        return False
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or (
        media_type.startswith(b"application/") and media_type.endswith(b"+json")
    )


def unstorable_json(body: bytes) -> str | None:
    """Why ``body`` is JSON that cannot be stored, or None (also for bodies that are not JSON at all,
    which the app rejects, or reads as something else, on its own)."""
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError as strict:
        try:
            json.loads(body)
        except ValueError:
            return None
        return str(strict)
    return None


class StrictJsonMiddleware:
    """Reads JSON bodies whole (BodyLimitMiddleware, outside it, bounds them), checks them, replays them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or not _declares_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        reason = unstorable_json(body) if body else None
        if reason is not None:
            error = {"loc": ["body"], "msg": f"JSON that cannot be stored: {reason}", "type": "json_invalid"}
            problem = Problem(422, "validation_failed", f"body: {error['msg']}", errors=[error])
            await problem_response(problem, Request(scope))(scope, receive, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that hands out ``messages`` first, then whatever ``receive`` has (a disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
