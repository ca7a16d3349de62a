"""Orphan visits end to end: 404s at a real edge become rows the worker stores once, by kind, and
admins read them through the API; past the edge's rate they are counted, not recorded."""

from __future__ import annotations

import uuid

import httpx
import pytest

from common.metrics import sample_value
from common.settings import Settings
from harness.clicks import stream_clicks, stream_orphan_visits
from tests.admin.api import PASSWORD, sign_up
from tests.admin.conftest import ClientFactory, client_factory
from tests.admin.db import sql
from tests.conftest import ProcessFactory, SettingsFactory
from tests.edge.test_e2e import seed_links
from tests.helpers import wait_until, wait_until_in_loop
from tests.traffic import send_requests

pytestmark = pytest.mark.e2e
__all__ = ["client_factory"]  # the admin app in process, a fixture

RECORDED = ["/", "/nope", "/nope", "/a/b", "/x%00y"]


def orphan_paths(settings: Settings) -> list[str]:
    return sorted(visit[1] for visit in stream_orphan_visits(settings))


async def test_404s_become_orphan_visits_counted_once_by_kind_and_shown_to_admins(
    settings_factory: SettingsFactory,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
    client_factory: ClientFactory,
) -> None:
    settings = settings_factory(edge_orphan_visits_per_second=1_000.0)
    (code,) = await seed_links(settings, 1, prefix="real")
    edge = edge_factory(settings)
    # Not visits: a HEAD (a link checker) and a visitor opting out, sent first: had they been
    # recorded, they would reach the stream before the visits waited for below.
    assert await send_requests(edge.url, ["/nope"], method="HEAD") == {404: 1}
    assert await send_requests(edge.url, ["/nope?nostat"]) == {404: 1}

    statuses = await send_requests(edge.url, [*RECORDED, f"/{code}"], concurrency=1)

    assert statuses == {404: len(RECORDED), 302: 1}
    await wait_until_in_loop(lambda: len(orphan_paths(settings)), lambda count: count >= len(RECORDED))
    assert orphan_paths(settings) == sorted(RECORDED)
    assert [click[1] for click in stream_clicks(settings)] == [code]  # a redirect is still a click

    worker_factory(settings)
    rows = await wait_until_in_loop(
        lambda: sql(settings, "SELECT kind, path, is_bot FROM orphan_visits ORDER BY path"),
        lambda found: len(found) >= len(RECORDED),
        what="the worker storing the orphan visits",
    )
    assert [(row["kind"], row["path"]) for row in rows] == [
        ("base_url", "/"),
        ("regular_404", "/a/b"),
        ("invalid_short_url", "/nope"),
        ("invalid_short_url", "/nope"),
        ("regular_404", "/x%00y"),  # as sent: never decoded into a NUL
    ]
    await wait_until_in_loop(
        lambda: sql(settings, "SELECT click_count FROM links")[0]["click_count"],
        lambda clicks: clicks >= 1,
        what="the redirect's click (on a shard of its own, maybe)",
    )

    client = client_factory(settings)
    admin = sign_up(client, f"root-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    member = sign_up(client, f"member-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    sql(settings, "UPDATE users SET role = 'admin' WHERE id = $1", admin.id)
    assert client.get("/api/v1/analytics/orphan-visits", headers=member.headers).status_code == 403
    answer = client.get("/api/v1/analytics/orphan-visits", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 5
    assert body["by_kind"] == {"base_url": 1, "invalid_short_url": 2, "regular_404": 2}
    assert sum(point["visits"] for point in body["series"]) == 5
    assert body["paths"][0] == {
        "domain": None,
        "path": "/nope",
        "kind": "invalid_short_url",
        "visits": 2,
        "last_visited_at": body["paths"][0]["last_visited_at"],
    }
    assert len(body["recent"]) == 5


async def test_orphan_visits_past_the_rate_are_counted_not_recorded(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    # One visit per 10 s: of 20 sent at once, the first is recorded and the others skipped.
    settings = settings_factory(edge_orphan_visits_per_second=0.1, metrics_interval=0.05)
    edge = edge_factory(settings, metrics=True)

    assert await send_requests(edge.url, [f"/gone{n}" for n in range(20)], concurrency=1) == {404: 20}

    metrics_url = f"{edge.metrics_url}/metrics"
    outcomes = wait_until(
        lambda: httpx.get(metrics_url, timeout=5).text,
        lambda text: sample_value(text, "hop_edge_orphan_visits_total", [("outcome", "skipped")]) >= 19,
        what="19 orphan visits skipped",
    )
    assert sample_value(outcomes, "hop_edge_orphan_visits_total", [("outcome", "recorded")]) == 1
    await wait_until_in_loop(lambda: orphan_paths(settings), lambda paths: len(paths) >= 1)
    assert orphan_paths(settings) == ["/gone0"]
