"""Orphan visits in a range: requests the edge answered 404, as the worker stored them
(worker/orphans.py): per kind, as a series of local buckets, the most visited paths and the latest;
of every short domain, or of one. ``orphan_visits.domain`` is the domain a visit came to, '' for the
default one (and for a Host that is no short domain, which the edge serves as the default one).

They are instance-wide (no link, so no owner): admins read them. The edge records at most
HOP_EDGE_ORPHAN_VISITS_PER_SECOND per process, so under a flood of 404s these are a sample (the
edge's hop_edge_orphan_visits_total{outcome="skipped"} counts the rest); the queries read raw rows
through the visited_at index.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import asyncpg

from admin.analytics import Interval, TimeRange, empty_as_none, local_buckets
from common.records import ORPHAN_KINDS

RECENT: Final = 50


# Visits in the range [$1, $2), of the domain $3 unless it is NULL ('' : the default domain).
_IN_RANGE: Final = "visited_at >= $1 AND visited_at < $2 AND ($3::text IS NULL OR domain = $3)"


async def orphan_visits(
    pool: asyncpg.Pool, rng: TimeRange, *, interval: Interval, top: int, domain: str | None = None
) -> dict[str, Any]:
    """Totals (all, per kind, bots), a series, the ``top`` paths and the latest RECENT visits in the
    range, of every domain, or only of ``domain`` (as stored: '' for the default one).

    Raises InvalidRange when the series would have too many points.
    """
    starts = local_buckets(rng, interval)
    counts, paths, recent = await asyncio.gather(
        pool.fetch(
            f"""SELECT width_bucket(visited_at, $4::timestamptz[]) AS point, kind, is_bot, count(*) AS visits
                FROM orphan_visits WHERE {_IN_RANGE} GROUP BY 1, 2, 3""",
            rng.start,
            rng.end,
            domain,
            starts,
        ),
        pool.fetch(
            f"""SELECT nullif(domain, '') AS domain, path, kind, count(*) AS visits, max(visited_at) AS last_visited_at
                FROM orphan_visits WHERE {_IN_RANGE}
                GROUP BY domain, path, kind ORDER BY visits DESC, path, domain LIMIT $4""",
            rng.start,
            rng.end,
            domain,
            top,
        ),
        pool.fetch(
            f"""SELECT visited_at, domain, kind, path, referrer_host, country, browser, os, device, is_bot
                FROM orphan_visits WHERE {_IN_RANGE}
                ORDER BY visited_at DESC LIMIT $4""",
            rng.start,
            rng.end,
            domain,
            RECENT,
        ),
    )
    per_point = [0] * len(starts)
    by_kind = dict.fromkeys(ORPHAN_KINDS, 0)
    bots = 0
    for row in counts:
        per_point[row["point"] - 1] += row["visits"]
        by_kind[row["kind"]] += row["visits"]
        bots += row["visits"] if row["is_bot"] else 0
    return {
        "total": sum(by_kind.values()),
        "bot_visits": bots,
        "by_kind": by_kind,
        "series": [
            {"start": start.astimezone(rng.tz).isoformat(), "visits": visits}
            for start, visits in zip(starts, per_point, strict=True)
        ],
        "paths": [dict(row) for row in paths],
        "recent": [empty_as_none(row) for row in recent],
    }
