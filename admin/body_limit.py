"""A cap on request body size, answered as a 413 problem before the app reads a byte too many."""

from __future__ import annotations

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
