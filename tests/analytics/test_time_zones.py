"""Analytics in time zones, checked against an independent zoneinfo oracle (issue 17).

About 600 clicks are chosen at known instants around the hard instants of eight zones: quarter
hours beside local midnights and local hour boundaries (at :30 and :45 UTC in India, Nepal,
Newfoundland, Lord Howe and the Chatham Islands), every 2026 DST change (Lord Howe's is half an
hour), and week and month boundaries. They go through the real path: packed into the Redis click
streams as the edge writes them, applied by a real `hop worker` process with the test GeoIP
database, read back through the analytics API.

The oracle never looks at Hop's code or tables: it groups the chosen instants with zoneinfo by
their local hour (the repeated DST hour told apart by its UTC offset), day, week (from Monday) and
month, and counts human and bot clicks, distinct visitors (address and user agent) and every
breakdown value itself. A bucket's label is its
first instant, compared as an instant, so the label's format and offset do not matter.

What passing proves, for every zone and interval: each series point starts where the local bucket
starts, no bucket is missing or extra, and each holds exactly the clicks whose local time falls in
it; totals and breakdowns count exactly the clicks in [local midnight, local midnight), so a click
one millisecond outside the range is left out and one at its first instant is counted; and a
visitor counts once per point, range, link and account however many days and links they come
back to (the range's visitors are distinct, not a sum of per-day counts).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import pytest
import redis
from starlette.testclient import TestClient

from admin.app import create_app
from common.records import Click
from common.redis import keys_for, redis_url
from common.settings import Settings
from harness.clicks import batch_id, stream_entry
from harness.processes import start_worker
from harness.stores import StoreUrls, create_namespace, drop_namespace, namespaced, run_sync
from tests.admin.api import Account, sign_up
from tests.admin.db import sql
from tests.conftest import TEST_DEFAULTS
from tests.geo import write_city_db
from tests.helpers import wait_until

ZONES: Final = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 / -02:30
    "Australia/Lord_Howe",  # +10:30 / +11:00: DST of half an hour
    "Pacific/Chatham",  # +12:45 / +13:45
)
INTERVALS: Final = ("hour", "day", "week", "month")

# Every 2026 change of UTC offset of the zones, in UTC (checked against zoneinfo below).
DST_CHANGES_2026: Final[dict[str, tuple[datetime, ...]]] = {
    "UTC": (),
    "Asia/Kolkata": (),
    "Asia/Kathmandu": (),
    "Europe/Berlin": (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)),
    "America/New_York": (datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)),
    "America/St_Johns": (datetime(2026, 3, 8, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 4, 30, tzinfo=UTC)),
    # 2026-04-05 02:00 +11:00 back to 01:30 +10:30; 2026-10-04 02:00 +10:30 on to 02:30 +11:00.
    "Australia/Lord_Howe": (datetime(2026, 4, 4, 15, tzinfo=UTC), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
    # 2026-04-05 03:45 +13:45 back to 02:45 +12:45; 2026-09-27 02:45 +12:45 on to 03:45 +13:45.
    "Pacific/Chatham": (datetime(2026, 4, 4, 14, tzinfo=UTC), datetime(2026, 9, 26, 14, tzinfo=UTC)),
}

QUARTER: Final = timedelta(minutes=15)
MS: Final = timedelta(milliseconds=1)
MINUTE: Final = timedelta(minutes=1)
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
SEED: Final = 17
CODES: Final = ("tz-one", "tz-two")
BATCH_SIZE: Final = 25
APPLY_TIMEOUT_S: Final = 60.0


@dataclass(frozen=True)
class LocalRange:
    """Whole local days, ``last`` included: the API's from/to as dates."""

    first: date
    last: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return local_midnight(self.first, zone), local_midnight(self.last + timedelta(days=1), zone)

    def params(self, zone_name: str) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "tz": zone_name}


# Starts on a Monday that is a 1st, so no week or month bucket is cut at the start: every label is
# its bucket's first instant. Ends before today (2026-11-30), so every chosen click is in the past.
FULL_RANGE: Final = LocalRange(date(2025, 12, 1), date(2026, 11, 28))
# Starts and ends at local midnights that have clicks 1 ms and a few minutes on either side.
SUMMER_RANGE: Final = LocalRange(date(2026, 6, 1), date(2026, 10, 31))


# --- The chosen clicks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Visitor:
    """A client address and the edge's country header, with the country and city the analytics must show."""

    address: str
    header_country: str
    country: str
    city: str


@dataclass(frozen=True)
class UserAgent:
    """A user agent string and what it must be counted as."""

    text: str
    browser: str
    os: str
    device: str
    is_bot: bool


@dataclass(frozen=True)
class Referrer:
    url: str
    host: str


VISITORS: Final = (
    Visitor("81.2.69.160", "", "GB", "London"),  # in the test GeoIP database (tests/worker/geo.py)
    Visitor("89.160.20.112", "DE", "SE", "Linköping"),  # the database wins over the header
    Visitor("2001:67c:2e8::7", "", "NL", ""),  # a country-only record
    Visitor("198.51.100.7", "fr", "FR", ""),  # not in the database: the header's country
    Visitor("203.0.113.9", "", "", ""),  # unknown
    Visitor("198.51.100.20", "XX", "", ""),  # XX is the proxies' "unknown"
)
USER_AGENTS: Final = (
    UserAgent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36",
        "Chrome",
        "Windows",
        "desktop",
        False,
    ),
    UserAgent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "iOS",
        "mobile",
        False,
    ),
    UserAgent(
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "iOS",
        "tablet",
        False,
    ),
    UserAgent(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 "
        "Mobile Safari/537.36",
        "Chrome Mobile",
        "Android",
        "mobile",
        False,
    ),
    UserAgent(
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Firefox",
        "Ubuntu",
        "desktop",
        False,
    ),
    UserAgent("", "", "", "other", False),
    UserAgent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "", "bot", True),
    UserAgent("curl/8.5.0", "curl", "", "bot", True),
)
REFERRERS: Final = (
    Referrer("", ""),
    Referrer("https://www.google.com/search?q=hop", "google.com"),
    Referrer("https://news.ycombinator.com/item?id=17", "news.ycombinator.com"),
    Referrer("https://t.co/abc", "t.co"),
)


@dataclass(frozen=True)
class ChosenClick:
    at: datetime  # UTC, whole milliseconds
    code: str
    visitor: Visitor
    agent: UserAgent
    referrer: Referrer

    def packed(self) -> Click:
        """As the edge packs it into a stream batch."""
        epoch_ms = (self.at - EPOCH) // MS  # exact: a float timestamp can miss the last millisecond
        visitor = self.visitor
        return (epoch_ms, self.code, visitor.address, self.agent.text, self.referrer.url, visitor.header_country)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC (none of these zones skips a midnight)."""
    instant = datetime.combine(day, time(), zone).astimezone(UTC)
    assert instant.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, time()), (day, zone)
    return instant


def offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants in [start, end) at which ``zone``'s UTC offset changes, found quarter hour by quarter hour,
    each checked to lie exactly on its quarter hour (the offset holds up to 1 ms before it)."""
    changes = []
    before = start.astimezone(zone).utcoffset()
    instant = start + QUARTER
    while instant < end:
        offset = instant.astimezone(zone).utcoffset()
        if offset != before:
            assert (instant - MS).astimezone(zone).utcoffset() == before, (zone, instant)
            changes.append(instant)
            before = offset
        instant += QUARTER
    return changes


def hard_instants(zone_name: str) -> set[datetime]:
    """The instants of ``zone_name`` where a bucket or the ranges start: local midnights (range,
    week and month starts), a plain local hour boundary, and around each DST change the local
    midnights of its day and the next, and every hour bucket start within two hours of it."""
    zone = ZoneInfo(zone_name)
    days = [
        FULL_RANGE.first,
        date(2026, 1, 1),
        SUMMER_RANGE.first,
        SUMMER_RANGE.last + timedelta(days=1),
        FULL_RANGE.last + timedelta(days=1),
    ]
    instants = {local_midnight(day, zone) for day in days}
    instants.add(datetime(2026, 2, 17, 9, tzinfo=zone).astimezone(UTC))
    hour_starts = oracle_buckets(zone_name, FULL_RANGE)["hour"]
    for change in DST_CHANGES_2026[zone_name]:
        local_day = change.astimezone(zone).date()
        instants |= {local_midnight(local_day, zone), local_midnight(local_day + timedelta(days=1), zone)}
        instants |= {start for start, _ in hour_starts if abs(start - change) <= timedelta(hours=2)}
    return instants


# Around each hard instant: always 1 ms before it and the instant itself, and three of these.
ALWAYS_AROUND: Final = (-MS, timedelta(0))
SOMETIMES_AROUND: Final = (
    *(minutes * MINUTE for minutes in (-45, -30, -15, -14, -1, 1, 15, 30)),
    15 * MINUTE - MS,
    45 * MINUTE - MS,
)
RANDOM_CLICKS: Final = 40


def choose_clicks() -> list[ChosenClick]:
    rng = random.Random(SEED)
    instants: list[datetime] = []
    for zone_name in ZONES:
        for hard in sorted(hard_instants(zone_name)):
            for delta in (*ALWAYS_AROUND, *rng.sample(SOMETIMES_AROUND, 3)):
                instants.append(hard + delta)
    span_ms = int((datetime(2026, 11, 28, 12, tzinfo=UTC) - datetime(2025, 11, 29, tzinfo=UTC)) / MS)
    instants += [datetime(2025, 11, 29, tzinfo=UTC) + rng.randrange(span_ms) * MS for _ in range(RANDOM_CLICKS)]
    clicks = []
    for at in instants:
        agent = rng.choice(USER_AGENTS)
        clicks.append(ChosenClick(at, rng.choice(CODES), rng.choice(VISITORS), agent, rng.choice(REFERRERS)))
    rng.shuffle(clicks)
    return clicks


# --- The oracle ---------------------------------------------------------------------------------


def bucket_keys(instant: datetime, zone: ZoneInfo) -> dict[str, Hashable]:
    """The local bucket of ``instant`` for each interval."""
    local = instant.astimezone(zone)
    day = local.date()
    return {
        "hour": (day, local.hour, local.utcoffset()),  # the offset tells the repeated DST hour apart
        "day": day,
        "week": day - timedelta(days=day.weekday()),
        "month": (day.year, day.month),
    }


@cache
def oracle_buckets(zone_name: str, local_range: LocalRange) -> dict[str, list[tuple[datetime, Hashable]]]:
    """Per interval, every bucket of the range in order: its first instant and its key.

    Every offset and offset change of these zones lies on a UTC quarter hour (offset_changes checks
    the 2026 ones), so a bucket starts at the first quarter hour whose key differs from the previous one.
    """
    zone = ZoneInfo(zone_name)
    start, end = local_range.bounds(zone)
    buckets: dict[str, list[tuple[datetime, Hashable]]] = {interval: [] for interval in INTERVALS}
    instant = start
    while instant < end:
        for interval, key in bucket_keys(instant, zone).items():
            found = buckets[interval]
            if not found or found[-1][1] != key:
                found.append((instant, key))
        instant += QUARTER
    return buckets


@dataclass
class Tally:
    human: int = 0
    bot: int = 0
    # Distinct (address, user agent) pairs: a visitor counts once however often they come back.
    human_visitors: set[tuple[str, str]] = field(default_factory=set)
    bot_visitors: set[tuple[str, str]] = field(default_factory=set)

    def add(self, click: ChosenClick) -> None:
        visitor = (click.visitor.address, click.agent.text)
        if click.agent.is_bot:
            self.bot += 1
            self.bot_visitors.add(visitor)
        else:
            self.human += 1
            self.human_visitors.add(visitor)

    def counts(self, include_bots: bool) -> tuple[int, int, int]:
        """(clicks, human_clicks, bot_clicks), as the API reports them."""
        return self.human + (self.bot if include_bots else 0), self.human, self.bot

    def with_visitors(self, include_bots: bool) -> tuple[int, int, int, int]:
        """(clicks, human_clicks, bot_clicks, visitors), as the API reports them for totals and series."""
        visitors = len(self.human_visitors) + (len(self.bot_visitors) if include_bots else 0)
        return (*self.counts(include_bots), visitors)


def city_value(click: ChosenClick) -> tuple[str | None, str | None]:
    visitor = click.visitor
    return (visitor.country or None, visitor.city) if visitor.city else (None, None)


BREAKDOWNS: Final[dict[str, Callable[[ChosenClick], Hashable]]] = {
    "referrers": lambda click: click.referrer.host or None,
    "countries": lambda click: click.visitor.country or None,
    "browsers": lambda click: click.agent.browser or None,
    "os": lambda click: click.agent.os or None,
    "devices": lambda click: click.agent.device or None,
    "cities": city_value,
}


@dataclass
class Expected:
    """What the analytics of some clicks must say over a range, in one zone, for one interval."""

    series: list[tuple[datetime, Tally]]
    total: Tally = field(default_factory=Tally)
    breakdowns: dict[str, dict[Hashable, Tally]] = field(default_factory=dict)


def expected(
    clicks: list[ChosenClick], zone_name: str, local_range: LocalRange, interval: str, codes: tuple[str, ...]
) -> Expected:
    zone = ZoneInfo(zone_name)
    start, end = local_range.bounds(zone)
    buckets = oracle_buckets(zone_name, local_range)[interval]
    by_key = {key: Tally() for _, key in buckets}
    assert len(by_key) == len(buckets), "a local bucket must not come back after another one"
    result = Expected(series=[(bucket_start, by_key[key]) for bucket_start, key in buckets])
    result.breakdowns = {name: {} for name in BREAKDOWNS}
    for click in clicks:
        if click.code not in codes or not start <= click.at < end:
            continue
        by_key[bucket_keys(click.at, zone)[interval]].add(click)
        result.total.add(click)
        for name, value_of in BREAKDOWNS.items():
            result.breakdowns[name].setdefault(value_of(click), Tally()).add(click)
    return result


# --- Comparing the API with the oracle ----------------------------------------------------------


def api_counts(item: dict[str, Any]) -> tuple[int, int, int]:
    return item["clicks"], item["human_clicks"], item["bot_clicks"]


def api_counts_and_visitors(item: dict[str, Any]) -> tuple[int, int, int, int]:
    return (*api_counts(item), item["visitors"])


def series_differences(
    series: list[dict[str, Any]], want: list[tuple[datetime, Tally]], zone: ZoneInfo, include_bots: bool
) -> list[str]:
    """Every point where the API and the oracle differ: a count, or a bucket only one of them has."""
    differences: list[str] = []
    got: dict[datetime, tuple[int, int, int, int]] = {}
    order: list[datetime] = []
    for point in series:
        start = datetime.fromisoformat(point["start"])
        if start.tzinfo is None:
            differences.append(f"series start {point['start']!r} has no UTC offset")
            continue
        start = start.astimezone(UTC)
        if start in got:
            differences.append(f"series start {point['start']} appears twice")
        got[start] = api_counts_and_visitors(point)
        order.append(start)
    if order != sorted(order):
        differences.append("series starts are not in increasing order")
    wanted = {start: tally.with_visitors(include_bots) for start, tally in want}
    empty_misplaced: list[str] = []
    for start in sorted(got.keys() | wanted.keys()):
        api, oracle = got.get(start), wanted.get(start)
        if api == oracle:
            continue
        label = f"bucket {start.astimezone(zone).isoformat()} (UTC {start:%Y-%m-%d %H:%M})"
        if api is None and oracle == (0, 0, 0, 0):
            empty_misplaced.append(f"{label} only in zoneinfo")
        elif oracle is None and api == (0, 0, 0, 0):
            empty_misplaced.append(f"{label} only in the API")
        else:
            differences.append(f"{label}: API {api}, zoneinfo {oracle}")
    if empty_misplaced:
        differences.append(f"{len(empty_misplaced)} empty buckets start elsewhere, first {empty_misplaced[:2]}")
    return differences


def breakdown_differences(
    body: dict[str, Any], want: dict[str, dict[Hashable, Tally]], include_bots: bool
) -> list[str]:
    differences: list[str] = []
    for name, tallies in want.items():
        # Values are listed while they have clicks as asked: bot-only values only with include_bots.
        wanted = {
            value: tally.counts(include_bots) for value, tally in tallies.items() if tally.counts(include_bots)[0]
        }
        entries = body[name]
        got: dict[Hashable, tuple[int, int, int]] = {}
        for entry in entries:
            value = (entry["country"], entry["city"]) if name == "cities" else entry["value"]
            if value in got:
                differences.append(f"{name}: {value!r} listed twice")
            got[value] = api_counts(entry)
        if [entry["clicks"] for entry in entries] != sorted((entry["clicks"] for entry in entries), reverse=True):
            differences.append(f"{name}: not ordered by clicks")
        if got != wanted:
            differences.append(
                f"{name}: API {sorted(got.items(), key=repr)}, zoneinfo {sorted(wanted.items(), key=repr)}"
            )
    return differences


def analytics_differences(
    body: dict[str, Any], want: Expected, zone_name: str, local_range: LocalRange, include_bots: bool
) -> list[str]:
    zone = ZoneInfo(zone_name)
    differences = series_differences(body["series"], want.series, zone, include_bots)
    start, end = local_range.bounds(zone)
    shown = (datetime.fromisoformat(body["range"]["start"]), datetime.fromisoformat(body["range"]["end"]))
    if shown != (start, end):
        differences.append(
            f"range API {shown[0].isoformat()}..{shown[1].isoformat()}, zoneinfo {start.isoformat()}..{end.isoformat()}"
        )
    totals = (*api_counts_and_visitors(body), body["total_clicks"])
    wanted = (*want.total.with_visitors(include_bots), want.total.human + want.total.bot)
    if totals != wanted:
        differences.append(f"totals (clicks, human, bot, visitors, total) API {totals}, zoneinfo {wanted}")
    return differences + breakdown_differences(body, want.breakdowns, include_bots)


# --- Setting up: one namespace, one owner, two links, every click applied by a real worker ------


@dataclass(frozen=True)
class Scope:
    """Whose analytics: one link's (``codes`` is that link) or the owner's overview (both links)."""

    name: str
    path: str
    codes: tuple[str, ...]


SCOPES: Final = (
    *(Scope(f"link {code}", f"/api/v1/links/{code}/analytics", (code,)) for code in CODES),
    Scope("overview", "/api/v1/analytics/overview", CODES),
)


@dataclass
class World:
    client: TestClient
    owner: Account
    clicks: list[ChosenClick]

    def analytics(self, scope: Scope, params: dict[str, str]) -> dict[str, Any]:
        response = self.client.get(scope.path, params=params | {"top": "100"}, headers=self.owner.headers)
        assert response.status_code == 200, (scope.path, params, response.text)
        body: dict[str, Any] = response.json()
        return body

    def differences(self, zone_name: str, local_range: LocalRange, interval: str) -> list[str]:
        """Every difference between the API and the oracle, for each scope, without and with bots."""
        found = []
        for scope in SCOPES:
            want = expected(self.clicks, zone_name, local_range, interval, scope.codes)
            for include_bots in (False, True):
                params = local_range.params(zone_name) | {
                    "interval": interval,
                    "include_bots": str(include_bots).lower(),
                }
                body = self.analytics(scope, params)
                found += [
                    f"{scope.name}, include_bots={include_bots}: {difference}"
                    for difference in analytics_differences(body, want, zone_name, local_range, include_bots)
                ]
        return found


def feed_through_worker(settings: Settings, clicks: list[ChosenClick], log_path: Path) -> None:
    """XADD the clicks in batches over every shard, as edges do, and wait until a real `hop worker`
    has applied every one of them."""
    keys = keys_for(settings)
    worker = start_worker(settings, log_path=log_path)
    try:
        with redis.Redis.from_url(redis_url(settings)) as client:
            for number, first in enumerate(range(0, len(clicks), BATCH_SIZE)):
                batch = [click.packed() for click in clicks[first : first + BATCH_SIZE]]
                client.xadd(keys.clicks_stream(number % settings.click_shards), stream_entry(batch, batch_id()))

        def applied() -> int:
            return int(sql(settings, "SELECT coalesce(sum(applied), 0) FROM stream_cursors")[0][0])

        try:
            wait_until(applied, lambda count: count >= len(clicks), timeout=APPLY_TIMEOUT_S, what="every click applied")
        except AssertionError as error:
            raise AssertionError(f"{error}\nworker log:\n{worker.log()}") from None
    finally:
        worker.stop()
    assert sql(settings, "SELECT count(*) FROM failed_click_entries")[0][0] == 0, worker.log()
    counts = Counter(click.code for click in clicks)
    stored = {row["code"]: row["click_count"] for row in sql(settings, "SELECT code, click_count FROM links")}
    assert stored == dict(counts)


@pytest.fixture(scope="module")
def world(store_urls: StoreUrls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Seeded and applied once for the module: every test only reads."""
    files = tmp_path_factory.mktemp("time-zones")
    settings = namespaced(store_urls, **(TEST_DEFAULTS | {"geoip_db": write_city_db(files / "city.mmdb")}))
    run_sync(create_namespace(settings))
    try:
        with TestClient(create_app(settings), base_url="http://admin.test") as client:
            owner = sign_up(client, f"zones-{uuid.uuid4().hex[:6]}@example.com")
            for code in CODES:
                response = client.post(
                    "/api/v1/links", json={"target_url": "https://example.com/", "code": code}, headers=owner.headers
                )
                assert response.status_code == 201, response.text
            clicks = choose_clicks()
            feed_through_worker(settings, clicks, files / "worker.log")
            yield World(client, owner, clicks)
    finally:
        run_sync(drop_namespace(settings))


def report(differences: list[str], limit: int = 40) -> str:
    shown = "\n".join(differences[:limit])
    more = f"\n... and {len(differences) - limit} more" if len(differences) > limit else ""
    return f"{len(differences)} differences from the zoneinfo count:\n{shown}{more}"


# --- The tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("zone_name", ZONES)
def test_the_chosen_dst_changes_are_every_2026_change_of_the_zone(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert offset_changes(zone, *year) == list(DST_CHANGES_2026[zone_name])


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize("zone_name", ZONES)
def test_series_totals_and_breakdowns_match_zoneinfo(world: World, zone_name: str, interval: str) -> None:
    differences = world.differences(zone_name, FULL_RANGE, interval)
    assert not differences, report(differences)


@pytest.mark.parametrize("zone_name", ZONES)
def test_a_range_between_local_midnights_counts_exactly_the_clicks_inside(world: World, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    start, end = SUMMER_RANGE.bounds(zone)
    # The oracle's teeth: clicks lie just outside both ends (1 ms before the start, at the end).
    assert any(start - QUARTER <= click.at < start for click in world.clicks), "no click just before the range"
    assert any(end <= click.at < end + QUARTER for click in world.clicks), "no click just after the range"
    differences = world.differences(zone_name, SUMMER_RANGE, "day")
    for include_bots in (False, True):
        params = SUMMER_RANGE.params(zone_name) | {"include_bots": str(include_bots).lower(), "limit": "100"}
        response = world.client.get("/api/v1/analytics/top-links", params=params, headers=world.owner.headers)
        assert response.status_code == 200, response.text
        got = {link["code"]: api_counts_and_visitors(link) for link in response.json()}
        wanted = {}
        for code in CODES:
            total = expected(world.clicks, zone_name, SUMMER_RANGE, "day", (code,)).total
            counts = total.with_visitors(include_bots)
            if counts[0]:
                wanted[code] = counts
        if got != wanted:
            differences.append(f"top-links, include_bots={include_bots}: API {got}, zoneinfo {wanted}")
    assert not differences, report(differences)
