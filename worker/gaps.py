"""Click stream gaps: entries that left a stream before the worker applied them, never silently.

The edge caps every stream (XADD MAXLEN ~ HOP_CLICK_STREAM_MAXLEN), so a flood while no worker
runs trims entries nobody applied; Redis losing its data (a restart without persistence, a
FLUSHALL) loses them too. XINFO's max-deleted-entry-id does not move on trims, so the worker keeps
a ledger per stream, ``{prefix}clicks-trimmed:{n}``: the last ID it trimmed through, and how many
entries the stream had lost from its head at that moment (``entries-added`` minus ``length``).

After each commit one script trims the stream through the applied ID and compares: the entries
removed since the ledger's ID are the ones just applied plus the ones lost. Trimming and counting
in one script means no XADD or trim can slip between them.

A missing ledger once the cursor has moved past ``0-0`` does not prove lost data by itself: a
shard whose first trim failed (any Redis error after the commit, such as a cluster client's "TTL
exhausted" during a slot migration) has never had one. The stream tells the two apart when no entry
has ever left it (``entries-added`` equals ``length``) and it still holds the entry at the previous
cursor: then nothing can have been lost, and the trim writes the ledger. Holding that entry rules
out a stream recreated after Redis lost its data (a new one reaches the very same ID only if the
server's clock went back to that millisecond); nothing ever having left rules out the entries the
failed trims would have counted, such as a flood past the edge's cap. Anything else is a gap of
unknown size.

Each gap found is logged (ERROR), counted (``hop_worker_stream_gaps_total``,
``hop_worker_stream_entries_lost_total``) and written to ``click_stream_gaps``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import asyncpg

from common.records import Keys
from common.redis import RedisClient
from worker.metrics import WorkerMetrics
from worker.stream_ids import next_id

logger = logging.getLogger("hop.worker.gaps")

START_ID: Final = "0-0"  # a cursor that has applied nothing

# KEYS: stream, ledger. ARGV: cursor before the commit, cursor after it, MINID (the ID after it),
# entries the commit covered. Returns {outcome, lost entries} (see Outcome). With no ledger, the
# stream is examined before the XTRIM, which would remove the entry at the previous cursor and
# count what it removes (see the module doc).
TRIM_SCRIPT: Final = """
local function id_parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function before(a, b)
  local a_ms, a_seq = id_parts(a)
  local b_ms, b_seq = id_parts(b)
  return a_ms < b_ms or (a_ms == b_ms and a_seq < b_seq)
end
local function counters(key)
  local info = redis.call('XINFO', 'STREAM', key)
  local added, length
  for i = 1, #info, 2 do
    if info[i] == 'entries-added' then added = info[i + 1] elseif info[i] == 'length' then length = info[i + 1] end
  end
  return added, length
end
local ledger = redis.call('HMGET', KEYS[2], 'id', 'removed')
local intact = false
if not ledger[1] and ARGV[1] ~= '0-0' and redis.call('EXISTS', KEYS[1]) == 1 then
  local added, length = counters(KEYS[1])
  intact = added ~= nil and added == length
    and #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1], 'COUNT', 1) > 0
end
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[3])
if ledger[1] and before(ARGV[2], ledger[1]) then return {3, 0} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {3, 0} end
local added, length = counters(KEYS[1])
if added == nil then return {4, 0} end
local removed = added - length
local outcome, lost = 0, 0
if not ledger[1] then
  if ARGV[1] == '0-0' then lost = removed - tonumber(ARGV[4]) elseif not intact then outcome = 2 end
elseif ledger[1] == ARGV[1] then
  lost = removed - tonumber(ledger[2]) - tonumber(ARGV[4])
else
  outcome = 3
end
if lost > 0 then outcome = 1 elseif lost < 0 then outcome, lost = 3, 0 end
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'removed', removed)
return {outcome, lost}
"""


class Outcome(IntEnum):
    """What the trim script found."""

    CONTIGUOUS = 0  # nothing lost between the previous cursor and this commit
    LOST = 1  # this many entries after the previous cursor left the stream unapplied
    LEDGER_LOST = 2  # no ledger, and the stream was lost or entries have left it: count unknown
    UNCHECKED = 3  # the ledger is not at the previous cursor (a crash before a trim): resynchronised
    UNSUPPORTED = 4  # Redis before 7.0 has no entries-added: gaps cannot be detected


@dataclass(frozen=True, slots=True)
class Gap:
    """Entries of ``shard`` after ``after_id`` that were never applied; applying resumed at ``resumed_at``."""

    shard: int
    after_id: str
    resumed_at: str
    lost_entries: int | None  # None: unknown


class StreamTrims:
    """Trims a click stream after a commit and reports the gaps it finds (see the module doc)."""

    def __init__(self, *, redis: RedisClient, keys: Keys, metrics: WorkerMetrics) -> None:
        self._script = redis.register_script(TRIM_SCRIPT)
        self._keys = keys
        self._metrics = metrics
        self._warned_unsupported = False

    async def trim(self, *, shard: int, previous: str, applied: str, entries: int, first: str) -> Gap | None:
        """Trim ``shard`` through ``applied``, after a commit that moved its cursor from ``previous``
        over ``entries`` stream entries, the first of them ``first``. Returns the gap found, if any.

        Raises:
            RedisError, OSError: the trim did not happen (the next one covers it).
        """
        keys = [self._keys.clicks_stream(shard), self._keys.clicks_trim_ledger(shard)]
        reply = await self._script(keys=keys, args=[previous, applied, next_id(applied), entries])
        outcome, lost = Outcome(int(reply[0])), int(reply[1])
        if outcome is Outcome.UNSUPPORTED and not self._warned_unsupported:
            self._warned_unsupported = True
            logger.warning("redis has no XINFO entries-added (before 7.0): trimmed click entries cannot be detected")
        if outcome is Outcome.LOST:
            return self._found(Gap(shard, previous, first, lost))
        if outcome is Outcome.LEDGER_LOST:
            return self._found(Gap(shard, previous, first, None))
        return None

    def _found(self, gap: Gap) -> Gap:
        shard = str(gap.shard)
        self._metrics.stream_gaps.labels(shard=shard).inc()
        if gap.lost_entries is None:
            logger.error(
                "click stream %d lost entries after %s before they were applied (count unknown: no trim "
                "ledger, and the stream was lost or entries have left it, as when redis lost its data); "
                "applying resumed at %s",
                gap.shard,
                gap.after_id,
                gap.resumed_at,
            )
        else:
            self._metrics.stream_entries_lost.labels(shard=shard).inc(gap.lost_entries)
            logger.error(
                "click stream %d: %d entries after %s were trimmed before they were applied "
                "(HOP_CLICK_STREAM_MAXLEN reached); applying resumed at %s",
                gap.shard,
                gap.lost_entries,
                gap.after_id,
                gap.resumed_at,
            )
        return gap


async def record_gap(pool: asyncpg.Pool, gap: Gap) -> None:
    """Keep ``gap`` in click_stream_gaps (it is already logged and counted)."""
    await pool.execute(
        "INSERT INTO click_stream_gaps (shard, after_id, resumed_at, lost_entries) VALUES ($1, $2, $3, $4)",
        gap.shard,
        gap.after_id,
        gap.resumed_at,
        gap.lost_entries,
    )
