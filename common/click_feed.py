"""The live click feed's Redis contract: the worker publishes applied clicks, admin streams them.

After each transaction commits, the worker appends the clicks it counted to one Redis stream per
account, ``{prefix}feed:{owner}`` (``-`` for links without an owner): one entry per account and
transaction, holding the clicks as an orjson list of ``FeedClick`` dicts, capped at about
``FEED_MAXLEN`` entries. It does so only for accounts someone is watching: a watcher's admin process
keeps the account in the sorted set ``{prefix}feed:watched`` (member: owner, score: epoch ms until
which it counts as watched, refreshed with every heartbeat), and the worker reads that set once per
transaction. So the feed costs nothing while nobody looks, and a reconnecting watcher
(Last-Event-ID) finds what it missed as long as it comes back within ``WATCH_TTL_MS``.

Published after the commit, never before: the feed shows only clicks the analytics count. A worker
that dies between its commit and its publish leaves those clicks out of the feed (they are counted):
the feed is for watching, the analytics API is the record.

Event ids are ``{stream entry id}:{index in the entry}``, so a client that resumes from any click
gets exactly the clicks after it.
"""

from __future__ import annotations

import re
from typing import Final, TypedDict

FEED_MAXLEN: Final = 1_000  # entries per account; one per worker transaction with its clicks
FEED_FIELD: Final = b"c"
WATCH_TTL_MS: Final = 60_000
NO_OWNER: Final = "-"
_EVENT_ID_RE: Final = re.compile(r"^(\d{1,20}-\d{1,20}):(\d{1,6})$")


class FeedClick(TypedDict):
    """One click as the feed shows it: enriched, without the visitor's address or user agent."""

    domain: str | None  # the link's short domain; None: the default one
    code: str
    clicked_at: str  # ISO 8601, UTC
    country: str
    city: str
    referrer_host: str
    browser: str
    os: str
    device: str
    is_bot: bool
    route: str


def feed_owner(owner_id: int | None) -> str:
    """The feed a link's clicks go to: its owner's, or the one of links without an owner."""
    return NO_OWNER if owner_id is None else str(owner_id)


def event_id(entry_id: str, index: int) -> str:
    return f"{entry_id}:{index}"


def parse_event_id(text: str) -> tuple[str, int] | None:
    """The stream entry id and index a Last-Event-ID names, or None when it is not one of ours."""
    match = _EVENT_ID_RE.match(text)
    return None if match is None else (match[1], int(match[2]))
