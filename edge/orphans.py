"""Orphan visits: requests the edge answers 404 (a code it does not serve, the bare domain, any
other path), recorded so that an operator sees broken links in the wild and who probes for codes.

An orphan visit travels as a click whose code is the request's path as sent (common.records
``ORPHAN_PREFIX``: a code never holds a "/"): the same buffer, stream entries, batch ids and worker
transaction as clicks, so each is applied exactly once and costs no Redis command of its own. It
can never slow the edge: at most ``rate`` per second per process are recorded (one token bucket;
the rest are only counted), GET only and never with ``nostat`` (as clicks). A client past its 404
budget (edge/ratelimit.py, which guards code lookups) gets 429 for code-shaped paths, and nothing
is recorded; other paths cost no lookup and are bounded by the bucket alone.
"""

from __future__ import annotations

import time

from starlette.types import Scope

from common.records import ORPHAN_PATH_MAX
from edge.tracking import ClickTracker


class OrphanVisits:
    """Records 404s as orphan visits, ``rate`` per second at most (a burst of one second's worth); 0 turns it off."""

    __slots__ = ("_burst_s", "_full", "_interval", "_tracker", "enabled", "recorded", "skipped")

    def __init__(self, tracker: ClickTracker, *, rate: float) -> None:
        self.enabled = rate > 0
        self._tracker = tracker
        self._interval = 1 / rate if self.enabled else 0.0
        self._burst_s = max(1.0, self._interval)  # one second's worth at once, at least one visit
        self._full = 0.0  # when the bucket is full again (monotonic), GCRA as in edge/ratelimit.py
        self.recorded = 0
        self.skipped = 0

    def record(self, scope: Scope, domain: str = "") -> None:
        """Record a 404 of ``domain`` ("": the default short domain)."""
        if not self.enabled or scope["method"] != "GET":
            return
        now = time.monotonic()
        full = max(self._full, now) + self._interval
        if full - now > self._burst_s:
            self.skipped += 1
            return
        self._full = full
        self.recorded += 1
        self._tracker.track(scope, orphan_path(scope), domain)


def orphan_path(scope: Scope) -> str:
    """The path as the client sent it (percent-encoded, without the query), never decoded: any
    bytes a client sends stay text that JSON, Postgres and the dashboard can carry."""
    raw: bytes | None = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope["path"].encode("utf-8", "backslashreplace").decode("latin-1")
    if not path.startswith("/"):
        path = "/" + path
    return path[:ORPHAN_PATH_MAX]
