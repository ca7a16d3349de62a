"""Reading links from Postgres as the edge's records: the one definition of "this code redirects".

Admin's write-through and the edge's read-through both build records here, so a link that
Postgres would not serve (disabled, expired, out of clicks) is a tombstone on both paths.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from common.db import Executor, Row
from common.records import LinkRecord, Preview
from common.routing import Routing
from common.utm import UTM_FIELDS, with_utm

logger = logging.getLogger("hop.linkstore")

# A link whose owner is disabled does not redirect either: its `disabled` reads true here.
SERVABLE_SELECT = """
    SELECT l.id, l.edge_key, l.code, l.target_url, l.redirect_status, l.expires_at, l.max_clicks, l.forward_query,
           (l.disabled OR coalesce(u.disabled, false)) AS disabled, l.click_count, l.version, l.password_hash,
           l.utm_source, l.utm_medium, l.utm_campaign, l.utm_term, l.utm_content,
           l.preview_title, l.preview_description, l.preview_image, l.rules, l.variants
    FROM links l LEFT JOIN users u ON u.id = l.owner_id
"""


def record_from_row(row: Row) -> LinkRecord | None:
    """The edge record of a links row, or None when the link must not redirect."""
    if row["disabled"]:
        return None
    max_clicks = row["max_clicks"]
    if max_clicks is not None and row["click_count"] >= max_clicks:
        return None
    expires_at = row["expires_at"]
    utm = {field: row[f"utm_{field}"] for field in UTM_FIELDS}
    routing = Routing.from_stored(row["rules"], row["variants"])
    record = LinkRecord(
        target=with_utm(row["target_url"], utm),
        status=row["redirect_status"],
        expires_at_ms=int(expires_at.timestamp() * 1000) if expires_at is not None else None,
        forward_query=row["forward_query"],
        version=row["version"],
        max_clicks=max_clicks,
        # The edge seeds its click counter from these (edge/limits.py); only limited links carry them.
        clicks=row["click_count"] if max_clicks is not None else 0,
        link_id=row["id"] if max_clicks is not None else 0,
        password_hash=row["password_hash"],
        preview=preview_of(row),
        # Every target a visitor may be sent to carries the link's UTM parameters.
        routing=routing.with_targets(lambda target: with_utm(target, utm)) if routing is not None else None,
    )
    if record.is_expired():
        return None
    unsafe = record.unsafe_reason()
    if unsafe is not None:
        # A row from before the database checked targets: a tombstone, never a redirect.
        logger.warning("link %r is not served: %s", row["edge_key"], unsafe)
        return None
    return record


async def fetch_records(conn: Executor, edge_keys: Iterable[str]) -> dict[str, LinkRecord | None]:
    """Each asked-for edge key (common/domains.py) mapped to its record, or None when Postgres
    would not redirect it."""
    wanted = list(edge_keys)
    rows = await conn.fetch(f"{SERVABLE_SELECT} WHERE l.edge_key = ANY($1::text[])", wanted)
    found = {row["edge_key"]: record_from_row(row) for row in rows}
    return {key: found.get(key) for key in wanted}


def preview_of(row: Row) -> Preview | None:
    """The link's social preview, or None when it has none of the three fields."""
    preview = Preview(title=row["preview_title"], description=row["preview_description"], image=row["preview_image"])
    return None if preview == Preview() else preview
