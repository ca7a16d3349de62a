"""The live click feed as Server-Sent Events: an account's clicks, or one link's, as the worker counts them.

The worker publishes each transaction's clicks to the account's feed stream in Redis, but only for
accounts being watched (common/click_feed.py). A watcher here marks the account watched, then
blocks on XREAD and turns every click into an SSE ``click`` event whose id names the click
(``{entry}:{index}``). A client that reconnects with that id in Last-Event-ID gets exactly the
clicks after it; if the stream was trimmed past it meanwhile, a ``gap`` event says so first. A
comment line every ``heartbeat`` seconds keeps proxies from closing an idle stream and refreshes
the watch.

Bounded: each admin process serves at most ``max_streams`` feeds and ``STREAMS_PER_USER`` per user,
each on a Redis connection of its own (a blocked XREAD holds one); a slow client holds only its
own: events are read as the client takes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import FrameType
from typing import Final, cast

import orjson
from redis.exceptions import RedisError

from admin.problems import Problem
from common.click_feed import FEED_FIELD, WATCH_TTL_MS, event_id, parse_event_id
from common.records import Keys
from common.redis import RedisClient, StreamEntries, XReadReply, connect, keys_for
from common.settings import AdminSettings

logger = logging.getLogger("hop.admin.feed")

STREAMS_PER_USER: Final = 5
RETRY_MS: Final = 3_000  # what EventSource waits before reconnecting
SHUTDOWN_WAIT_S: Final = 2.0
_STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)
_READ_COUNT: Final = 100  # stream entries per XREAD: each holds one transaction's clicks of the account


class FeedLimits:
    """How many feeds this process serves, per user and in all."""

    def __init__(self, max_streams: int) -> None:
        self.max_streams = max_streams
        self._open: Counter[int] = Counter()
        self.none_open = asyncio.Event()
        self.none_open.set()

    def acquire(self, user_id: int) -> None:
        """Count a feed of ``user_id``, or raise a 429 or 503 problem past the bounds; ``release`` it after."""
        if self._open[user_id] >= STREAMS_PER_USER:
            raise Problem(
                429, "too_many_feeds", f"at most {STREAMS_PER_USER} live feeds per user are open at once; close one"
            )
        if self._open.total() >= self.max_streams:
            raise Problem(
                503, "feeds_full", "this server has no room for another live feed", headers={"Retry-After": "5"}
            )
        self._open[user_id] += 1
        self.none_open.clear()

    def release(self, user_id: int) -> None:
        self._open[user_id] -= 1
        if not self._open[user_id]:
            del self._open[user_id]
        if not self._open:
            self.none_open.set()


@dataclass(frozen=True, slots=True)
class Feed:
    """One watcher's view: an account's feed, or only the clicks of the link ``code`` on ``domain``
    (None: the default domain) in it."""

    redis: RedisClient
    keys: Keys
    owner: str
    code: str | None
    heartbeat_s: float
    closing: asyncio.Event  # set when the process stops: every feed ends, so that shutdown need not wait
    domain: str | None = None

    @property
    def stream(self) -> str:
        return self.keys.feed(self.owner)

    async def events(self, resume_from: str | None) -> AsyncIterator[bytes]:
        """The SSE body: events after ``resume_from`` (a Last-Event-ID), else from now on."""
        yield f"retry: {RETRY_MS}\n: watching\n\n".encode()
        try:
            await self._watch()
            resumed = parse_event_id(resume_from) if resume_from else None
            last = await self._start(resumed)
            async for chunk in self._replay(resumed):
                yield chunk
            async for chunk in self._follow(last):
                yield chunk
        except (RedisError, OSError) as error:
            # The client reconnects with its Last-Event-ID and misses nothing the stream still holds.
            logger.warning("live feed of %s ended: %s", self.owner, error)

    async def _watch(self) -> None:
        until = time.time_ns() // 1_000_000 + WATCH_TTL_MS
        await self.redis.zadd(self.keys.feed_watched, {self.owner: until}, gt=True)

    async def _start(self, resumed: tuple[str, int] | None) -> str:
        """The entry id to read after: the resumed click's entry, else the newest entry now."""
        if resumed is not None:
            return resumed[0]
        newest = cast(StreamEntries, await self.redis.xrevrange(self.stream, count=1))
        return newest[0][0].decode() if newest else "0-0"

    async def _replay(self, resumed: tuple[str, int] | None) -> AsyncIterator[bytes]:
        """A ``gap`` event if clicks after the resumed one were trimmed, then the rest of its entry."""
        if resumed is None:
            return
        entry_id, index = resumed
        oldest = cast(StreamEntries, await self.redis.xrange(self.stream, count=1))
        if not oldest or _id_key(oldest[0][0].decode()) > _id_key(entry_id):
            yield b'event: gap\ndata: {"detail":"some clicks after the last event left the feed"}\n\n'
        for found_id, fields in cast(StreamEntries, await self.redis.xrange(self.stream, min=entry_id, max=entry_id)):
            yield self._encode(found_id.decode(), fields, after=index)

    async def _follow(self, last: str) -> AsyncIterator[bytes]:
        block_ms = max(1, int(self.heartbeat_s * 1000))
        next_watch = next_beat = time.monotonic() + self.heartbeat_s
        while not self.closing.is_set():
            reply = await self._read(last, block_ms)
            for _, entries in reply:
                for found_id, fields in entries:
                    last = found_id.decode()
                    chunk = self._encode(last, fields, after=-1)
                    if chunk:
                        next_beat = time.monotonic() + self.heartbeat_s
                        yield chunk
            now = time.monotonic()
            if now >= next_watch:
                await self._watch()
                next_watch = now + self.heartbeat_s
            if now >= next_beat:
                # Also while other links of the account are busy: this link's watcher hears nothing.
                next_beat = now + self.heartbeat_s
                yield b": heartbeat\n\n"

    async def _read(self, last: str, block_ms: int) -> XReadReply:
        """The entries after ``last``, waiting up to ``block_ms`` for one, or none when the process stops."""
        read = asyncio.ensure_future(self.redis.xread({self.stream: last}, count=_READ_COUNT, block=block_ms))
        closing = asyncio.ensure_future(self.closing.wait())
        await asyncio.wait((read, closing), return_when=asyncio.FIRST_COMPLETED)
        closing.cancel()
        if not read.done():
            read.cancel()  # shutting down: the client reconnects elsewhere with its Last-Event-ID
            return []
        return cast(XReadReply, read.result()) or []

    def _encode(self, entry_id: str, fields: dict[bytes, bytes], *, after: int) -> bytes:
        """The entry's clicks past index ``after`` (of this feed's link, if it has one) as events. A
        click without a ``domain`` (published before there were domains) is on the default one."""
        try:
            clicks = orjson.loads(fields[FEED_FIELD])
        except (KeyError, orjson.JSONDecodeError):
            logger.warning("live feed entry %s of %s is not a feed entry; skipped", entry_id, self.owner)
            return b""
        events = [
            f"id: {event_id(entry_id, index)}\nevent: click\ndata: ".encode() + orjson.dumps(click) + b"\n\n"
            for index, click in enumerate(clicks)
            if index > after
            and (self.code is None or (click.get("code"), click.get("domain")) == (self.code, self.domain))
        ]
        return b"".join(events)


def _id_key(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


@dataclass(frozen=True, slots=True)
class Feeds:
    """What an admin process serves feeds from: a Redis client of their own, and the bounds."""

    redis: RedisClient
    keys: Keys
    limits: FeedLimits
    heartbeat_s: float
    closing: asyncio.Event

    def feed(self, owner: str, code: str | None, domain: str | None = None) -> Feed:
        return Feed(
            redis=self.redis,
            keys=self.keys,
            owner=owner,
            code=code,
            heartbeat_s=self.heartbeat_s,
            closing=self.closing,
            domain=domain,
        )


@contextlib.asynccontextmanager
async def open_feeds(settings: AdminSettings) -> AsyncIterator[Feeds]:
    # A blocked XREAD holds its connection for up to a heartbeat: one connection per feed, and a
    # read timeout that outlasts the block.
    redis = connect(
        settings,
        max_connections=settings.feed_max_streams,
        socket_connect_timeout=1.0,
        socket_timeout=settings.feed_heartbeat + 5.0,
        client_name="hop-feed",
    )
    feeds = Feeds(
        redis=redis,
        keys=keys_for(settings),
        limits=FeedLimits(settings.feed_max_streams),
        heartbeat_s=settings.feed_heartbeat,
        closing=asyncio.Event(),
    )
    restore = _close_on_stop_signals(feeds.closing)
    try:
        yield feeds
    finally:
        restore()
        feeds.closing.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(feeds.limits.none_open.wait(), SHUTDOWN_WAIT_S)
        await redis.aclose()


def _close_on_stop_signals(closing: asyncio.Event) -> Callable[[], None]:
    """Set ``closing`` when the process is asked to stop; returns what undoes that.

    Granian's worker waits for every open response before it stops (and kills it after
    HOP_SHUTDOWN_GRACE + 5 s), and runs the lifespan's shutdown only then: a feed that waited for it
    would hold the process that long. The event loop still learns of the signal through its wakeup
    file descriptor, which a Python-level handler leaves in place, so Granian's own handling is kept.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals reach only the main thread (a threaded Granian worker, a test)
    loop = asyncio.get_running_loop()
    previous = {number: signal.getsignal(number) for number in _STOP_SIGNALS}

    def on_stop(number: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(closing.set)
        handler = previous[signal.Signals(number)]
        if callable(handler):
            handler(number, frame)

    for number in _STOP_SIGNALS:
        signal.signal(number, on_stop)

    def restore() -> None:
        for number, handler in previous.items():
            if handler is not None:
                signal.signal(number, handler)

    return restore
