"""The Redis contract between admin, edge and worker: key names, channel names and encodings.

Both sides import this module, so they cannot drift. Every name starts with the configured
prefix (``hop:`` by default), which also lets tests isolate themselves.

- ``{prefix}link:{edge key}``: orjson link record, or ``NEGATIVE`` for a link Postgres does not
  serve (unknown, disabled, expired, exhausted). Absent means "ask Postgres". The edge key is the
  code on the default short domain, ``{domain}/{code}`` on another (common/domains.py).
- ``{prefix}invalidate``: pub/sub channel; each message is an edge key whose record changed, ``*``
  (drop every cached link) or ``!domains`` (reload the short domains).
- ``{prefix}clicks:{n}``: click streams; each entry is one packed batch of clicks. The edge caps
  them (MAXLEN ~); otherwise only the worker trims them, up to what it has committed to Postgres.
- ``{prefix}clicks-trimmed:{n}``: the worker's trim ledger of stream n (see worker/gaps.py).
- ``{prefix}worker:{host}:{pid}``: a click worker's heartbeat.
- ``{prefix}throttle:{scope}:{subject}``: admin throttling counters (sign-in, reset mail, link creation).
- ``{prefix}links:complete``: the completeness marker (see common/linksync.py): while it holds a
  ``done:`` generation, every servable link has a record in Redis, so an absent key means unknown.
- ``{prefix}used:{code}:{link id}``: redirects served of a click-limited link (edge ``INCRBY``).
- ``{prefix}unlock:{code}:{address}``: password attempts on a protected link from one address.
- ``{prefix}feed:{owner}``, ``{prefix}feed:watched``: the live click feed (see common/click_feed.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import orjson

from common.routing import Routing

# A tombstone, not a deleted key, so that an edge's read-through cannot write back a record
# that admin has just removed (read-through writes with SET NX).
NEGATIVE: Final = b"-"
INVALIDATE_ALL: Final = "*"  # message on the invalidation channel: drop every cached code
NEGATIVE_TTL_S: Final = 60  # long enough to outlive any in-flight read-through; short for typo'd codes
RECORD_TTL_S: Final = 3_600  # backstop only: Postgres is the truth and every write refreshes it
# A record the edge read through from a replica may be as old as the replica's lag: had a change
# and the loss of its record in Redis both happened within the lag, the old state would stay for
# RECORD_TTL_S. This short life bounds that, at the cost of one replica read per code per minute.
REPLICA_RECORD_TTL_S: Final = 60

CODE_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REDIRECT_STATUSES: Final = frozenset({301, 302, 307, 308})
# Checked on every record the edge decodes: whatever Redis holds, only http(s) goes into a Location.
_SERVABLE_SCHEMES: Final = ("http://", "https://")
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f]")
USED_TTL_S: Final = (
    7 * 86_400
)  # a click counter idle this long is re-seeded from Postgres, which has every click by then

STREAM_FIELD_BATCH: Final = b"c"  # orjson list of Click tuples
STREAM_FIELD_ID: Final = b"b"  # unique batch id "{edge instance}:{sequence}", lets the worker drop a re-sent batch
STREAM_FIELD_VERSION: Final = b"v"
STREAM_FORMAT_VERSION: Final = b"1"

# A click as packed in a stream batch: (epoch ms, edge key, client ip, user agent, referrer, country),
# and for a routed link the route it took (common/routing.py) as a seventh field. A plain click
# stays six fields, so a worker from before routing reads every stream entry of an unrouted link.
Click = tuple[int, str, str, str, str, str] | tuple[int, str, str, str, str, str, str]
# An orphan visit (edge/orphans.py) is a click whose code is the request's path: it starts with "/",
# which no edge key does, and the worker stores it in orphan_visits instead of counting it for a
# link. On a short domain other than the default one, its seventh field is that domain.
ORPHAN_PREFIX: Final = "/"
ORPHAN_PATH_MAX: Final = 512
# What an orphan visit asked for, as Shlink names it (the CHECK of orphan_visits.kind, migration 0016).
OrphanKind = Literal["base_url", "invalid_short_url", "regular_404"]


def is_orphan(code: str) -> bool:
    """Whether a click's code is an orphan visit's path rather than a link's edge key."""
    return code.startswith(ORPHAN_PREFIX)


ORPHAN_KINDS: Final[tuple[OrphanKind, ...]] = get_args(OrphanKind)


@dataclass(frozen=True, slots=True)
class Keys:
    """Every Redis name Hop uses, under one prefix.

    With ``cluster``, the names that a script or a single command must find in one slot carry a
    hash tag (the part in braces is what Redis Cluster hashes): a click stream and its trim
    ledger share ``{n}``, and every throttle counter shares ``{throttle}`` (a sign-in counts
    against the account and the address in one script). Without it the names stay untagged, so
    an existing single Redis keeps its streams across an upgrade.
    """

    prefix: str = "hop:"
    cluster: bool = False

    def link(self, code: str) -> str:
        return f"{self.prefix}link:{code}"

    @property
    def invalidate_channel(self) -> str:
        return f"{self.prefix}invalidate"

    def clicks_stream(self, shard: int) -> str:
        return f"{self.prefix}clicks:{self._tag(shard)}"

    def all_click_streams(self, shards: int) -> list[str]:
        return [self.clicks_stream(n) for n in range(shards)]

    def clicks_trim_ledger(self, shard: int) -> str:
        """The worker's trim ledger of one click stream (outside ``clicks:``, whose names are all streams)."""
        return f"{self.prefix}clicks-trimmed:{self._tag(shard)}"

    def worker_heartbeat(self, name: str) -> str:
        """A click worker's liveness key ("{host}:{pid}"), written with a TTL on every loop turn."""
        return f"{self.prefix}worker:{name}"

    def throttle(self, scope: str, subject: str) -> str:
        return f"{self.prefix}{self._tag('throttle')}:{scope}:{subject}"

    @property
    def links_complete(self) -> str:
        """The completeness marker: see common/linksync.py."""
        return f"{self.prefix}links:complete"

    def used(self, code: str, link_id: int) -> str:
        """Redirects served of a click-limited link; per link id, so a code reused after a delete starts at 0."""
        return f"{self.prefix}used:{code}:{link_id}"

    def unlock_attempts(self, code: str, address: str) -> str:
        """Password attempts on a protected link from one client address, in the current window."""
        return f"{self.prefix}unlock:{code}:{address}"

    def feed(self, owner: str) -> str:
        """An account's live click feed (common/click_feed.py); ``owner`` is from ``feed_owner``."""
        return f"{self.prefix}feed:{owner}"

    @property
    def feed_watched(self) -> str:
        """The accounts whose feed someone watches, each scored with when that ends (epoch ms)."""
        return f"{self.prefix}feed:watched"

    def _tag(self, part: object) -> str:
        return f"{{{part}}}" if self.cluster else str(part)


class RecordRejected(ValueError):
    """A Redis value the edge must not serve as a redirect; ``reason`` is ``malformed`` or ``unsafe``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


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
    """What the edge needs to answer a redirect, and nothing else.

    ``max_clicks``, ``clicks`` (the link's click count when the record was written) and
    ``link_id`` matter only for a click-limited link, and are encoded only for one;
    ``password_hash`` (argon2id) only for a password-protected one, ``preview`` (the social
    preview served to link-preview crawlers) only for a link that has one, ``routing`` (targeting
    rules and A/B split, common/routing.py) only for a routed one.
    """

    target: str
    status: int = 302
    expires_at_ms: int | None = None
    forward_query: bool = False
    version: int = 1
    max_clicks: int | None = None
    clicks: int = 0
    link_id: int = 0
    password_hash: str | None = None
    preview: Preview | None = None
    routing: Routing | None = None

    def encode(self) -> bytes:
        data: dict[str, object] = {
            "t": self.target,
            "s": self.status,
            "e": self.expires_at_ms,
            "q": self.forward_query,
            "v": self.version,
        }
        if self.max_clicks is not None:
            data |= {"m": self.max_clicks, "c": self.clicks, "i": self.link_id}
        if self.password_hash is not None:
            data["p"] = self.password_hash
        if self.preview is not None:
            data["o"] = self.preview.encode()
        if self.routing is not None:
            data["g"] = self.routing.encode()
        return orjson.dumps(data)

    @classmethod
    def decode(cls, raw: bytes) -> LinkRecord:
        """The record in ``raw``, checked: a redirect the edge may send.

        Raises:
            RecordRejected: ``malformed`` when ``raw`` is not a record of this shape; ``unsafe``
                when it is one, but with a target other than http(s) or a status that is not a redirect.
        """
        try:
            record = cls._from_dict(orjson.loads(raw))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise RecordRejected("malformed", f"not a link record: {error!r}") from None
        reason = record.unsafe_reason()
        if reason is not None:
            raise RecordRejected("unsafe", reason)
        return record

    @classmethod
    def _from_dict(cls, data: Any) -> LinkRecord:
        if not isinstance(data, dict):
            raise TypeError(f"a JSON {type(data).__name__}, not an object")
        # Old records (without m/c/i) decode as unlimited links.
        max_clicks = data.get("m")
        record = cls(
            target=data["t"],
            status=data["s"],
            expires_at_ms=data["e"],
            forward_query=data["q"],
            version=data["v"],
            max_clicks=max_clicks,
            clicks=data.get("c", 0) if max_clicks is not None else 0,
            link_id=data.get("i", 0) if max_clicks is not None else 0,
            password_hash=data.get("p"),
            preview=Preview.decode(data["o"]) if "o" in data else None,
            routing=Routing.decode(data["g"]) if "g" in data else None,
        )
        if not record._well_typed():
            raise TypeError("a field has the wrong type")
        return record

    def _well_typed(self) -> bool:
        return (
            isinstance(self.target, str)
            and _is_int(self.status)
            and (self.expires_at_ms is None or _is_int(self.expires_at_ms))
            and isinstance(self.forward_query, bool)
            and _is_int(self.version)
            and (self.max_clicks is None or (_is_int(self.max_clicks) and self.max_clicks > 0))
            and _is_int(self.clicks)
            and _is_int(self.link_id)
            and (self.password_hash is None or isinstance(self.password_hash, str))
        )

    def unsafe_reason(self) -> str | None:
        """Why this record must not become a redirect, or None when it may."""
        if self.status not in REDIRECT_STATUSES:
            return f"status {self.status!r} is not a redirect"
        if not _servable_url(self.target):
            return f"target {self.target[:40]!r} is not an http(s) URL without control characters"
        if self.preview is not None and self.preview.image is not None and not _servable_url(self.preview.image):
            return f"preview image {self.preview.image[:40]!r} is not an http(s) URL without control characters"
        for target in self.routing.targets if self.routing is not None else ():
            if not _servable_url(target):
                return f"routed target {target[:40]!r} is not an http(s) URL without control characters"
        return None


def _servable_url(url: str) -> bool:
    return url[:8].lower().startswith(_SERVABLE_SCHEMES) and _CONTROL_RE.search(url) is None


@dataclass(frozen=True, slots=True)
class Preview:
    """A link's social preview: what link-preview crawlers are shown as Open Graph tags."""

    title: str | None = None
    description: str | None = None
    image: str | None = None

    def encode(self) -> dict[str, str]:
        fields = {"t": self.title, "d": self.description, "i": self.image}
        return {key: value for key, value in fields.items() if value is not None}

    @classmethod
    def decode(cls, data: Any) -> Preview:
        if not isinstance(data, dict) or not all(isinstance(value, str) for value in data.values()):
            raise TypeError("a preview is an object of strings")
        return cls(title=data.get("t"), description=data.get("d"), image=data.get("i"))


def _is_int(value: object) -> bool:
    return type(value) is int  # not bool, which is an int too


def encode_click_batch(clicks: Sequence[Click]) -> bytes:
    return orjson.dumps(clicks)


def decode_click_batch(raw: bytes) -> list[Click]:
    return [tuple(item) for item in orjson.loads(raw)]
