"""Synthetic traffic for the benches that need tables as the worker leaves them: who clicks, from
where, with which browser, and the click streams' entries the edge would have written.

A GeoIP database written for the run places each network ``{n // 256 + 1}.{n % 256}.0.0/16`` in
the n-th of its places, so a click's address decides its country and city through the worker's
own enrichment, as in a deployment.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

from common.records import Click
from common.redis import create_redis, keys_for
from common.settings import Settings
from harness.clicks import stream_entry

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (iPad; CPU OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Mobile/15E148 Safari/604.1",
]
# About 200 distinct agents: the templates in 30 versions each.
VERSIONED_AGENTS = [agent.format(v=v) for agent in AGENTS for v in range(100, 130)]
REFERRERS = ["", "", "https://www.google.com/", "https://t.co/abc", "https://news.ycombinator.com/item?id=1", ""]
CLICKS_PER_ENTRY = 100  # what an edge flush carries at 10,000 redirects/s with a 10 ms flush

Place = tuple[str, str]  # country code, city name ("" for a country-level record)


def place_address(place: int, rng: random.Random) -> str:
    """An IPv4 address that ``write_geoip``'s database puts in the ``place``-th place."""
    return f"{place // 256 + 1}.{place % 256}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def write_geoip(path: Path, places: Sequence[Place]) -> Path:
    """A GeoIP2 City database placing the network of each address ``place_address`` makes."""
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    for number, (country, city) in enumerate(places):
        record = {"country": {"iso_code": country}} | ({"city": {"names": {"en": city}}} if city else {})
        writer.insert_network(IPSet([f"{number // 256 + 1}.{number % 256}.0.0/16"]), record)
    writer.to_db_file(str(path))
    return path


def click_times(rng: random.Random, count: int, start: datetime, end: datetime) -> list[datetime]:
    """``count`` instants in [start, end), in order, busiest at 15:00 UTC and quietest at 03:00."""
    span = (end - start).total_seconds()
    times: list[datetime] = []
    while len(times) < count:
        instant = start + timedelta(seconds=rng.random() * span)
        hour = instant.hour + instant.minute / 60
        if rng.random() < 0.55 + 0.45 * math.cos((hour - 15) / 24 * 2 * math.pi):
            times.append(instant)
    return sorted(times)


async def add_to_streams(
    settings: Settings, clicks: Sequence[Click], label: str, *, per_entry: int = CLICKS_PER_ENTRY
) -> None:
    """XADD ``clicks`` in entries of ``per_entry``, as edges flush them, over the click shards in
    turn; ``label`` makes the entries' batch ids unique (``{label}:{number}``)."""
    keys = keys_for(settings)
    redis = create_redis(settings)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for number, first in enumerate(range(0, len(clicks), per_entry)):
                entry = stream_entry(clicks[first : first + per_entry], f"{label}:{number}".encode())
                pipe.xadd(keys.clicks_stream(number % settings.click_shards), entry)
            await pipe.execute()
    finally:
        await redis.aclose()
