"""The live click feed: Server-Sent Events of clicks as the worker counts them (admin/click_feed.py).

``GET /links/{code}/clicks/stream`` (with ``?domain=`` for a link on another domain than the default
one) follows one link, ``GET /clicks/stream`` every link of the
caller's account. Each ``click`` event's data is the enriched click (no address or user agent); its
id resumes the feed after a reconnect (the Last-Event-ID header, which EventSource sends by itself,
or the ``last_event_id`` query parameter).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from admin.auth.deps import AnalyticsRead, StoresDep
from admin.click_feed import Feed, Feeds
from admin.links import get_owned_link
from admin.problems import Problem, problem_responses
from admin.routes.links import LinkAt
from common.click_feed import feed_owner, parse_event_id

router = APIRouter(tags=["analytics"])

AUTH = (401, 403)
_EVENT_STREAM: Final = "text/event-stream"
_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # a proxy that buffers responses (nginx) would hold the events back
}
LastEventId = Annotated[
    str | None,
    Header(description="The id of the last event received, to resume after it (EventSource sends it itself)."),
]
LastEventIdQuery = Annotated[
    str | None,
    Query(
        alias="last_event_id",
        max_length=64,
        description="As the Last-Event-ID header, for clients that cannot set headers.",
    ),
]
STREAM_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "content": {_EVENT_STREAM: {}},
        "description": (
            "Server-Sent Events: `click` events (data: the click as JSON; id: resumes after it), `gap` when "
            "clicks after the resumed id have left the feed, and a comment line as heartbeat."
        ),
    },
    **problem_responses(*AUTH, 404, 422, 429, 503),
}


@router.get("/links/{code}/clicks/stream", response_class=StreamingResponse, responses=STREAM_RESPONSES)
async def link_click_stream(
    ref: LinkAt,
    principal: AnalyticsRead,
    stores: StoresDep,
    request: Request,
    last_event_id: LastEventId = None,
    resume: LastEventIdQuery = None,
) -> StreamingResponse:
    """The link's clicks, live: each one within about a second of its redirect."""
    link = await get_owned_link(stores.pool, ref.code, principal, ref.domain)
    feeds: Feeds = request.state.feeds
    feed = feeds.feed(feed_owner(link.owner_id), link.code, link.domain)
    return _stream(feeds, feed, principal.id, last_event_id or resume)


@router.get("/clicks/stream", response_class=StreamingResponse, responses=STREAM_RESPONSES)
async def account_click_stream(
    principal: AnalyticsRead, request: Request, last_event_id: LastEventId = None, resume: LastEventIdQuery = None
) -> StreamingResponse:
    """The clicks of every link of the caller's account, live."""
    feeds: Feeds = request.state.feeds
    return _stream(feeds, feeds.feed(feed_owner(principal.id), None), principal.id, last_event_id or resume)


def _stream(feeds: Feeds, feed: Feed, user_id: int, resume_from: str | None) -> StreamingResponse:
    if resume_from is not None and parse_event_id(resume_from) is None:
        raise Problem(422, "invalid_event_id", f"{resume_from[:64]!r} is not an event id of this feed")
    feeds.limits.acquire(user_id)  # a 429 or 503 here, before the response starts
    return _FeedResponse(feed.events(resume_from), release=lambda: feeds.limits.release(user_id))


class _FeedResponse(StreamingResponse):
    """The event stream; ``release`` runs when it ends, however it ends (a client gone, shutdown)."""

    def __init__(self, content: AsyncIterator[bytes], *, release: Callable[[], None]) -> None:
        super().__init__(content, media_type=_EVENT_STREAM, headers=_HEADERS)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
