"""Targeting rules and A/B split at a real edge (Granian): the first rule that holds picks the target,
else the visitor's sticky variant, else the link's own; the route travels with the click, and the
worker stores it and counts it per link (edge/routes.py, common/routing.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from admin.links import Link
from common.edge_sync import sync_links
from common.link_passwords import hash_link_password
from common.settings import Settings
from common.stores import Stores
from harness.clicks import stream_clicks
from tests.conftest import ProcessFactory, SettingsFactory
from tests.geo import write_city_db
from tests.helpers import add_link, wait_until, wait_until_async

pytestmark = pytest.mark.e2e

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
LONDON = "81.2.69.10"  # GB in tests/geo.py's database
FORM = {"content-type": "application/x-www-form-urlencoded"}
RULES = [
    {"name": "iPhone", "target": "https://e.com/ios", "conditions": {"devices": ["mobile"], "os": ["iOS"]}},
    {"name": "UK", "target": "https://e.com/uk", "conditions": {"countries": ["GB"]}},
    {"name": "German", "target": "https://e.com/de", "conditions": {"languages": ["de"]}},
    {"name": "Past", "target": "https://e.com/past", "conditions": {"ends_at": "2020-01-01T00:00:00Z"}},
]
SPLIT = [
    {"name": "A", "target": "https://e.com/a?x=1", "weight": 70},
    {"name": "B", "target": "https://e.com/b", "weight": 30},
]


async def route(stores: Stores, link: Link, *, rules: Any = None, variants: Any = None, **columns: Any) -> None:
    """Give the link rules and variants (and other columns) as the admin stores them; push it to the edge."""
    values = {"rules": rules, "variants": variants, **columns}
    assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(values, start=2))
    await stores.pool.execute(
        f"UPDATE links SET {assignments}, version = version + 1 WHERE code = $1", link.code, *values.values()
    )
    assert await sync_links(pool=stores.pool, redis=stores.redis, keys=stores.keys, edge_keys=[link.code])


@pytest.fixture
def settings(settings_factory: SettingsFactory, tmp_path: Path) -> Settings:
    """Settings whose edge believes 127.0.0.1's X-Forwarded-For and reads countries from a City database."""
    return settings_factory(trusted_proxies="127.0.0.1/32", geoip_db=write_city_db(tmp_path / "city.mmdb"))


async def test_the_first_rule_that_holds_wins_and_the_rest_get_the_links_own_target(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    link = await add_link(stores, settings, "https://e.com/home", code="promo")
    await route(stores, link, rules=RULES, utm_campaign="launch")
    edge = edge_factory(settings)
    visitors = {
        "iphone in London": {"user-agent": IPHONE, "x-forwarded-for": LONDON},  # both hold: the first wins
        "windows in London": {"user-agent": WINDOWS, "x-forwarded-for": LONDON},
        "german reader": {"user-agent": WINDOWS, "accept-language": "en;q=0.5, de-AT"},
        "anyone else": {"user-agent": WINDOWS, "accept-language": "de;q=0, fr"},
    }
    async with httpx.AsyncClient(base_url=edge.url) as client:
        answers = {who: await client.get("/promo", headers=headers) for who, headers in visitors.items()}
        checked = await client.head("/promo", headers={"user-agent": IPHONE})

    assert {who: answer.headers["location"] for who, answer in answers.items()} == {
        "iphone in London": "https://e.com/ios?utm_campaign=launch",  # every target carries the link's UTM
        "windows in London": "https://e.com/uk?utm_campaign=launch",
        "german reader": "https://e.com/de?utm_campaign=launch",
        "anyone else": "https://e.com/home?utm_campaign=launch",
    }
    assert checked.headers["location"] == "https://e.com/ios?utm_campaign=launch"  # HEAD: routed, not counted
    clicks = wait_until(lambda: stream_clicks(settings), lambda found: len(found) == 4)
    # Sorted: clicks flushed in two batches may land on two shards, which stream_clicks reads one by one.
    assert sorted(click[6] if len(click) == 7 else "" for click in clicks) == [
        "",
        "rule:German",
        "rule:UK",
        "rule:iPhone",
    ]


async def test_the_split_follows_the_weights_keeps_each_visitor_and_the_worker_counts_each_route(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory, worker_factory: ProcessFactory
) -> None:
    owner = await stores.pool.fetchval("INSERT INTO users (email, password_hash) VALUES ('ab@e.com', 'x') RETURNING id")
    link = await add_link(stores, settings, "https://e.com/fallback", code="ab", owner_id=owner)
    await route(stores, link, rules=RULES[:1], variants=SPLIT)
    edge = edge_factory(settings)
    agents = [f"Mozilla/5.0 (Windows NT 10.0) Visitor/{n}" for n in range(1_000)]
    async with httpx.AsyncClient(base_url=edge.url) as client:
        first = [(await client.get("/ab", headers={"user-agent": agent})).headers["location"] for agent in agents[:500]]
        again = [(await client.get("/ab", headers={"user-agent": agent})).headers["location"] for agent in agents[:500]]
        rest = [(await client.get("/ab", headers={"user-agent": agent})).headers["location"] for agent in agents[500:]]
        iphone = await client.get("/ab", headers={"user-agent": IPHONE})

    assert again == first  # a visitor who comes back lands on the same variant
    shares = Counter(first + rest)
    assert set(shares) == {"https://e.com/a?x=1", "https://e.com/b"}
    assert 0.64 < shares["https://e.com/a?x=1"] / 1_000 < 0.76  # 70 %, within 4 standard deviations
    assert iphone.headers["location"] == "https://e.com/ios"  # rules come before the split

    worker_factory(settings)
    expected = Counter({"variant:A": 2 * first.count("https://e.com/a?x=1"), "rule:iPhone": 1})
    expected["variant:A"] += rest.count("https://e.com/a?x=1")
    expected["variant:B"] = 1_501 - sum(expected.values())
    stored = await wait_until_async(
        lambda: routes_counted(stores, link.id),
        lambda counted: sum(counted[0].values()) == 1_501,
        what="the worker applying the routed clicks",
    )
    assert stored == (expected, expected, 0)


async def routes_counted(stores: Stores, link_id: int) -> tuple[Counter[str], Counter[str], int]:
    """The link's clicks per route: as stored with each click, as counted in its rollups, and the
    account rows of the route breakdown (there must be none: a route belongs to its link)."""
    rows = await stores.pool.fetch("SELECT route, count(*) AS n FROM clicks WHERE link_id = $1 GROUP BY route", link_id)
    rollups = await stores.pool.fetch(
        "SELECT value, sum(clicks) AS n FROM click_dimension_rollups WHERE link_id = $1 AND dimension = 'route' "
        "GROUP BY value",
        link_id,
    )
    account = await stores.pool.fetchval("SELECT count(*) FROM owner_dimension_rollups WHERE dimension = 'route'")
    return (
        Counter({row["route"]: row["n"] for row in rows}),
        Counter({row["value"]: row["n"] for row in rollups}),
        account,
    )


async def test_a_limited_or_protected_link_routes_once_it_may_redirect(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    limited = await add_link(stores, settings, "https://e.com/limited", code="twice", max_clicks=2)
    await route(stores, limited, variants=SPLIT)
    guarded = await add_link(stores, settings, "https://e.com/guarded", code="guarded")
    await route(stores, guarded, rules=RULES[:1], password_hash=await hash_link_password("open sesame"))
    edge = edge_factory(settings)
    async with httpx.AsyncClient(base_url=edge.url, headers={"user-agent": IPHONE}) as client:
        used = [await client.get("/twice") for _ in range(3)]
        form = await client.get("/guarded")
        unlocked = await client.post("/guarded", content="password=open+sesame", headers=FORM)
        returning = await client.get("/guarded")

    assert [answer.status_code for answer in used] == [302, 302, 404]
    variant = "variant:A" if used[0].headers["location"] == SPLIT[0]["target"] else "variant:B"
    assert used[1].headers["location"] == used[0].headers["location"]
    assert form.status_code == 200 and "location" not in form.headers
    assert unlocked.status_code == 303 and unlocked.headers["location"] == "https://e.com/ios"
    assert returning.status_code == 302 and returning.headers["location"] == "https://e.com/ios"
    clicks = wait_until(lambda: stream_clicks(settings), lambda found: len(found) == 4)
    assert sorted((click[1], click[6]) for click in clicks if len(click) == 7) == [
        ("guarded", "rule:iPhone"),
        ("guarded", "rule:iPhone"),
        ("twice", variant),
        ("twice", variant),
    ]
