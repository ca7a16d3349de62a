"""The steps of migrations that SQL cannot take, each run after its migration's SQL, in its transaction.

Postgres has no HyperLogLog type: a migration adding coarser rows of visitor sketches sums their
clicks in SQL, and their sketches are unioned here from the finer rows' (common/visitors.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final

from common.db import Connection
from common.visitors import VisitorCount

Step = Callable[[Connection], Awaitable[None]]

# (owner id, UTC hour, is_bot): a row of owner_click_hours.
HourKey = tuple[int, datetime, bool]
# Rows unioned and written back at a time: a few megabytes of sketches in memory at most.
_BATCH: Final = 1_000


async def _owner_hour_sketches(conn: Connection) -> None:
    """0024: each owner_click_hours row's sketch, the union of its four quarter hours' sketches."""
    rows = conn.cursor(
        """SELECT owner_id, date_bin('1 hour', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00'), is_bot,
                  visitor_sketch
           FROM owner_click_rollups WHERE visitor_sketch IS NOT NULL
           ORDER BY 1, 2, 3""",
        prefetch=_BATCH,
    )
    unions: dict[HourKey, VisitorCount] = {}
    async for owner_id, hour, is_bot, sketch in rows:
        key = (owner_id, hour, is_bot)
        if key not in unions and len(unions) >= _BATCH:  # rows come sorted: the held unions are whole
            await _store_hour_sketches(conn, unions)
            unions.clear()
        unions.setdefault(key, VisitorCount()).add(sketch)
    await _store_hour_sketches(conn, unions)


async def _store_hour_sketches(conn: Connection, unions: dict[HourKey, VisitorCount]) -> None:
    await conn.execute(
        """UPDATE owner_click_hours h SET visitor_sketch = u.sketch
           FROM unnest($1::bigint[], $2::timestamptz[], $3::boolean[], $4::bytea[]) AS u(owner_id, hour, is_bot, sketch)
           WHERE h.owner_id = u.owner_id AND h.hour = u.hour AND h.is_bot = u.is_bot""",
        [owner_id for owner_id, _, _ in unions],
        [hour for _, hour, _ in unions],
        [is_bot for _, _, is_bot in unions],
        [union.stored() for union in unions.values()],
    )


# By migration version.
STEPS: Final[dict[int, Step]] = {24: _owner_hour_sketches}
