"""The admin app in process for async tests: many truly concurrent requests, from chosen client addresses.

Starlette's TestClient sends one request at a time from a thread; these tests need a hundred in
flight at once on the app's own event loop, against the real Redis and Postgres. httpx's
ASGITransport does that, but runs no lifespan: ``in_process_admin`` runs it and hands its state
(the stores and settings) to every request, as Granian would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from admin.app import create_app
from common.settings import Settings

BASE_URL = "http://admin.test"


class InProcessAdmin:
    """One admin app with its lifespan running; ``client(address)`` sends from that client address."""

    def __init__(self, app: Any, state: dict[str, Any], stack: AsyncExitStack) -> None:
        self._app = app
        self._state = state
        self._stack = stack

    async def _with_state(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app({**scope, "state": dict(self._state)}, receive, send)

    async def client(self, address: str = "192.0.2.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self._with_state, client=(address, 40000))
        return await self._stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url=BASE_URL))


@asynccontextmanager
async def in_process_admin(settings: Settings) -> AsyncIterator[InProcessAdmin]:
    """The admin app for ``settings``, its stores open until the block ends."""
    app = create_app(settings)
    async with AsyncExitStack() as stack:
        state = await stack.enter_async_context(app.router.lifespan_context(app))
        yield InProcessAdmin(app, dict(state or {}), stack)
