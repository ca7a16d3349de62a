"""Guards on request bodies, before the app reads them.

- ``BodyLimitMiddleware``: a cap on body size, answered as a 413 problem before the app reads a
  byte too many.
- ``StrictJsonMiddleware``: JSON that Python's parser accepts but no store can hold (lone
  surrogates such as ``"\\ud800"``, ``NaN``, ``Infinity``) is a 422 problem, before any route
  sees it: Postgres and orjson refuse such strings, which was a 500 halfway through a request.
"""

from __future__ import annotations

import json

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.problems import Problem, problem_response

# A bulk request of 1,000 links with 2 KB targets fits with room to spare.
MAX_BODY_BYTES = 4 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        received = 0
        started = False

        # Chunked bodies carry no length: count as they arrive.
        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = Problem(413, "body_too_large", f"the request body is larger than {self.max_bytes} bytes")
        response = problem_response(problem)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


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
