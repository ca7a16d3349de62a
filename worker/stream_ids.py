"""Redis stream IDs (``"<ms>-<seq>"``) as the worker compares and trims them, and its stream names."""

from __future__ import annotations

from common.records import Keys


def stream_id_key(stream_id: str) -> tuple[int, int]:
    """``"1700000000000-5"`` -> ``(1700000000000, 5)``: stream IDs compare as number pairs, not text."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def after(stream_id: str, cursor: str) -> bool:
    """True when ``stream_id`` comes after ``cursor`` in its stream."""
    return stream_id_key(stream_id) > stream_id_key(cursor)


def next_id(stream_id: str) -> str:
    """The smallest stream ID after ``stream_id``: XTRIM MINID keeps IDs >= it."""
    ms, seq = stream_id_key(stream_id)
    return f"{ms}-{seq + 1}"


def shards_by_stream(keys: Keys, shards: int) -> dict[bytes, int]:
    """Click stream name, as XREAD answers it (bytes), -> shard number, for every shard."""
    return {keys.clicks_stream(shard).encode(): shard for shard in range(shards)}
