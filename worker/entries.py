"""Stream entries as the worker sees them: decoded, enriched, or failed with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from common.records import (
    STREAM_FIELD_BATCH,
    STREAM_FIELD_ID,
    STREAM_FIELD_VERSION,
    STREAM_FORMAT_VERSION,
    is_orphan,
)
from worker.enrich import Enriched, Enricher

# A click has six fields; a routed link's click a seventh, its route, and an orphan visit on a short
# domain other than the default one a seventh, that domain (common/records.py, Click).
CLICK_FIELDS = (6, 7)
MAX_ROUTE = 80  # "rule:" or "variant:" and a name of at most 40 characters, with room to spare
MAX_DOMAIN = 260  # the CHECK of domains.host (migration 0022)


@dataclass(frozen=True, slots=True)
class Failure:
    """A stream entry, or one click in it, that cannot be applied; kept in failed_click_entries."""

    error: str
    payload: bytes | None


@dataclass(slots=True)
class Entry:
    stream_id: str
    batch_id: str | None
    raw: bytes | None = None  # the packed batch, kept for failed_click_entries
    # (position in the batch, code, enriched click) for every click that could be read
    clicks: list[tuple[int, str, Enriched]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.clicks) + len(self.failures)


def read_entry(stream_id: bytes, fields: dict[bytes, bytes], enricher: Enricher) -> Entry:
    """Decode and enrich one XREAD entry; never raises (what cannot be read becomes a Failure)."""
    raw_id = fields.get(STREAM_FIELD_ID)
    entry = Entry(stream_id=stream_id.decode(), batch_id=raw_id.decode(errors="replace") if raw_id else None)
    raw = entry.raw = fields.get(STREAM_FIELD_BATCH)
    version = fields.get(STREAM_FIELD_VERSION, STREAM_FORMAT_VERSION)
    if version != STREAM_FORMAT_VERSION:
        entry.failures.append(Failure(f"unknown stream format version {version!r}", raw))
        return entry
    if raw is None:
        entry.failures.append(Failure("entry has no click batch field", orjson.dumps(_text_fields(fields))))
        return entry
    try:
        items = orjson.loads(raw)
        if not isinstance(items, list):
            raise TypeError("batch is not a list")
    except (orjson.JSONDecodeError, TypeError) as error:
        entry.failures.append(Failure(f"undecodable batch: {error}", raw))
        return entry
    for position, item in enumerate(items):
        try:
            if not isinstance(item, list) or len(item) not in CLICK_FIELDS:
                raise ValueError("a click has 6 fields, or 7 with its route or domain")
            if not isinstance(item[1], str) or not all(isinstance(value, str) for value in item[2:]):
                raise TypeError("click fields 1-6 must be strings")
            if len(item) == 7:
                _check_seventh(item[1], item[6])
            entry.clicks.append((position, item[1], enricher.enrich(tuple(item))))
        except (ValueError, TypeError, OverflowError, OSError) as error:
            entry.failures.append(Failure(f"click {position}: {error}", orjson.dumps(item)))
    return entry


def _check_seventh(code: str, value: str) -> None:
    limit, name = (MAX_DOMAIN, "domain") if is_orphan(code) else (MAX_ROUTE, "route")
    if len(value) > limit:
        raise ValueError(f"a {name} has at most {limit} characters")


def _text_fields(fields: dict[bytes, bytes]) -> dict[str, str]:
    return {key.decode(errors="replace"): value.decode(errors="replace")[:200] for key, value in fields.items()}
