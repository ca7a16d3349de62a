"""Counted clicks as Hop shows them outside the analytics: in the live feed and in webhooks.

Enriched, and never the visitor's address or user agent.
"""

from __future__ import annotations

from collections.abc import Callable

from common.click_feed import FeedClick
from worker.enrich import Enriched
from worker.entries import Entry


def clicks_by_owner(
    entries: list[Entry], owners: dict[str, int | None], wanted: Callable[[int | None], bool]
) -> dict[int | None, list[FeedClick]]:
    """The clicks of ``entries`` whose link's owner is ``wanted``, per owner, in stream order.

    ``owners``: each counted code's owner; a code it lacks (an orphan visit, a link deleted before
    its click was applied) was not counted, and is left out.
    """
    found: dict[int | None, list[FeedClick]] = {}
    for entry in entries:
        for _, code, click in entry.clicks:
            if code not in owners:
                continue
            owner = owners[code]
            if wanted(owner):
                found.setdefault(owner, []).append(published_click(code, click))
    return found


def published_click(code: str, click: Enriched) -> FeedClick:
    agent = click.agent
    return {
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
