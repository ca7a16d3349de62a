"""The Redis contract between admin, edge and worker: key names, channel names and encodings.

Both sides import this module, so they cannot drift. Every name starts with the configured
prefix (``hop:`` by default), which also lets tests isolate themselves.

- ``{prefix}link:{code}``: orjson link record, or ``NEGATIVE`` for a code Postgres does not
  serve (unknown, disabled, expired, exhausted). Absent means "ask Postgres".
- ``{prefix}invalidate``: pub/sub channel; each message is a code whose record changed.
- ``{prefix}clicks:{n}``: click streams; each entry is one packed batch of clicks. Only the
  worker trims them, up to what it has committed to Postgres.
- ``{prefix}worker:{host}:{pid}``: a click worker's heartbeat.
- ``{prefix}throttle:{scope}:{subject}``: admin login-throttling counters.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Final

import orjson

# A tombstone, not a deleted key, so that an edge's read-through cannot write back a record
# that admin has just removed (read-through writes with SET NX).
NEGATIVE: Final = b"-"
INVALIDATE_ALL: Final = "*"  # message on the invalidation channel: drop every cached code
NEGATIVE_TTL_S: Final = 60  # long enough to outlive any in-flight read-through; short for typo'd codes
RECORD_TTL_S: Final = 3_600  # backstop only: Postgres is the truth and every write refreshes it

CODE_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

STREAM_FIELD_BATCH: Final = b"c"  # orjson list of Click tuples
STREAM_FIELD_ID: Final = b"b"  # unique batch id "{edge instance}:{sequence}", lets the worker drop a re-sent batch
STREAM_FIELD_VERSION: Final = b"v"
STREAM_FORMAT_VERSION: Final = b"1"

# A click as packed in a stream batch: (epoch ms, code, client ip, user agent, referrer, country).
Click = tuple[int, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Keys:
    """Every Redis name Hop uses, under one prefix."""

    prefix: str = "hop:"

    def link(self, code: str) -> str:
        return f"{self.prefix}link:{code}"

    @property
    def invalidate_channel(self) -> str:
        return f"{self.prefix}invalidate"

    def clicks_stream(self, shard: int) -> str:
        return f"{self.prefix}clicks:{shard}"

    def all_click_streams(self, shards: int) -> list[str]:
        return [self.clicks_stream(n) for n in range(shards)]

    def worker_heartbeat(self, name: str) -> str:
        """A click worker's liveness key ("{host}:{pid}"), written with a TTL on every loop turn."""
        return f"{self.prefix}worker:{name}"

    def throttle(self, scope: str, subject: str) -> str:
        return f"{self.prefix}throttle:{scope}:{subject}"


class Expiring:
    """The one definition of "expired", shared by the stored record and the edge's cached Redirect.

    A mixin without slots of its own, so both keep theirs: the edge checks it on every redirect.
    """

    __slots__ = ()
    expires_at_ms: int | None  # epoch ms; None never expires

    def is_expired(self, now_ms: int | None = None) -> bool:
        expires_at_ms = self.expires_at_ms
        if expires_at_ms is None:
            return False  # most links: no clock read, nothing allocated
        return (time.time_ns() // 1_000_000 if now_ms is None else now_ms) >= expires_at_ms


@dataclass(frozen=True, slots=True)
class LinkRecord(Expiring):
    """What the edge needs to answer a redirect, and nothing else."""

    target: str
    status: int = 302
    expires_at_ms: int | None = None
    forward_query: bool = False
    version: int = 1

    def encode(self) -> bytes:
        return orjson.dumps(
            {"t": self.target, "s": self.status, "e": self.expires_at_ms, "q": self.forward_query, "v": self.version}
        )

    @classmethod
    def decode(cls, raw: bytes) -> LinkRecord:
        data: dict[str, Any] = orjson.loads(raw)
        return cls(
            target=data["t"], status=data["s"], expires_at_ms=data["e"], forward_query=data["q"], version=data["v"]
        )


def encode_click_batch(clicks: list[Click]) -> bytes:
    return orjson.dumps(clicks)


def decode_click_batch(raw: bytes) -> list[Click]:
    return [tuple(item) for item in orjson.loads(raw)]
