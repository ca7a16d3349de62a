"""The edge's in-process cache of resolved codes: a TTL dict with a size bound.

Pub/sub invalidation evicts entries as soon as admin changes a link; the TTL is only the
backstop. Expired entries are kept until evicted, so the resolver can serve them stale when
Redis and Postgres are both unreachable.
"""

from __future__ import annotations

import time
from itertools import islice
from typing import Generic, TypeVar

V = TypeVar("V")


class LocalCache(Generic[V]):
    """code -> value with a TTL per entry; the oldest entries go first when full."""

    __slots__ = ("_entries", "_max_entries")

    def __init__(self, *, max_entries: int) -> None:
        self._entries: dict[str, tuple[float, V]] = {}
        self._max_entries = max_entries

    def get(self, code: str, now: float | None = None) -> V | None:
        """The value while it is fresh, else None."""
        entry = self._entries.get(code)
        if entry is None or entry[0] <= (time.monotonic() if now is None else now):
            return None
        return entry[1]

    def get_stale(self, code: str) -> V | None:
        """The value however old it is, else None."""
        entry = self._entries.get(code)
        return None if entry is None else entry[1]

    def put(self, code: str, value: V, ttl: float) -> None:
        entries = self._entries
        entries.pop(code, None)  # re-insert at the end: dict order is our age order
        entries[code] = (time.monotonic() + ttl, value)
        if len(entries) > self._max_entries:
            # Evict a tenth at once: one pass over the oldest keys per many inserts, not per insert.
            for oldest in list(islice(entries, len(entries) - self._max_entries + self._max_entries // 10)):
                del entries[oldest]

    def evict(self, code: str) -> None:
        self._entries.pop(code, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
