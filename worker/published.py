"""Counted clicks as Hop shows them outside the analytics: in the live feed and in webhooks.

Enriched, and never the visitor's address or user agent.
"""

from __future__ import annotations

from collections.abc import Callable

from common.click_feed import FeedClick
from common.domains import split_edge_key
from worker.enrich import Enriched
from worker.entries import Entry


def clicks_by_owner(
    entries: list[Entry], owners: dict[str, int | None], wanted: Callable[[int | None], bool]
) -> dict[int | None, list[FeedClick]]:
    """The clicks of ``entries`` whose link's owner is ``wanted``, per owner, in stream order.

    ``owners``: each counted link's owner, by edge key; a key it lacks (an orphan visit, a link
    deleted before its click was applied) was not counted, and is left out.
    """
    found: dict[int | None, list[FeedClick]] = {}
    for entry in entries:
        for _, edge_key, click in entry.clicks:
            if edge_key not in owners:
                continue
            owner = owners[edge_key]
            if wanted(owner):
                found.setdefault(owner, []).append(published_click(edge_key, click))
    return found


def published_click(edge_key: str, click: Enriched) -> FeedClick:
    agent = click.agent
    domain, code = split_edge_key(edge_key)
    return {
        "domain": domain,
        "code": code,
        "clicked_at": click.clicked_at.isoformat().replace("+00:00", "Z"),
        "country": click.country,
        "city": click.city,
        "referrer_host": click.referrer_host,
        "browser": agent.browser,
        "os": agent.os,
        "device": agent.device,
        "is_bot": agent.is_bot,
        "route": click.route,
    }
