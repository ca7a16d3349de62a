"""The worker rolls clicks up per UTC quarter hour (issue 17), and Postgres keeps rollups on that grain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from common.records import Click
from common.settings import Settings
from common.stores import Stores
from common.visitors import VisitorCount
from harness.clicks import xadd_batch
from tests.helpers import add_link
from worker import Worker
from worker.apply import quarter_hour
from worker.metrics import new_worker_metrics

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
TEN = datetime(2026, 5, 5, 10, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def at(minutes: int, *, less: timedelta = timedelta(0), ip: str = "198.51.100.1", agent: str = CHROME) -> Click:
    """A click on "q" at 10:00 UTC plus ``minutes``, less ``less``."""
    instant = TEN + timedelta(minutes=minutes) - less
    return (int(instant.timestamp() * 1000), "q", ip, agent, "", "")


def test_quarter_hour_floors_to_the_start_of_the_utc_quarter_hour() -> None:
    assert quarter_hour(TEN) == TEN
    assert quarter_hour(TEN + timedelta(minutes=15) - MS) == TEN
    assert quarter_hour(TEN + timedelta(minutes=15)) == TEN + timedelta(minutes=15)
    assert quarter_hour(TEN + timedelta(minutes=59, seconds=59)) == TEN + timedelta(minutes=45)


async def test_clicks_are_rolled_up_per_utc_quarter_hour_with_their_visitors(
    stores: Stores, settings: Settings, worker_pool: asyncpg.Pool
) -> None:
    await add_link(stores, settings, "https://example.com/", code="q")
    clicks = [
        at(0),  # visitor A
        at(15, less=MS),  # 10:14:59.999
        at(15),
        at(16, ip="66.249.66.1", agent=GOOGLEBOT),  # a bot: its own visitor, its own rows
        at(45, less=MS, ip="198.51.100.2"),  # visitor B
        at(45),
        at(60, ip="198.51.100.2"),
    ]
    await xadd_batch(stores.redis, stores.keys, 0, clicks)
    worker = Worker(settings, pool=worker_pool, redis=stores.redis, metrics=new_worker_metrics(), burst=True)
    assert (await worker.run()).clicks == len(clicks)

    rows = await stores.pool.fetch("SELECT bucket, is_bot, clicks, visitor_sketch FROM click_rollups ORDER BY 1, 2")
    minute = timedelta(minutes=1)
    # Each row's sketch holds the distinct visitors of its own clicks.
    assert [(*row[:3], VisitorCount().add_all([row[3]]).estimate) for row in rows] == [
        (TEN, False, 2, 1),
        (TEN + 15 * minute, False, 1, 1),
        (TEN + 15 * minute, True, 1, 1),
        (TEN + 30 * minute, False, 1, 1),
        (TEN + 45 * minute, False, 1, 1),
        (TEN + 60 * minute, False, 1, 1),
    ]
    browsers = await stores.pool.fetch(
        "SELECT bucket, value, clicks FROM click_dimension_rollups WHERE dimension = 'browser' ORDER BY 1, 2"
    )
    assert [tuple(row) for row in browsers] == [
        (TEN, "Chrome", 2),
        (TEN + 15 * minute, "Chrome", 1),
        (TEN + 15 * minute, "Googlebot", 1),
        (TEN + 30 * minute, "Chrome", 1),
        (TEN + 45 * minute, "Chrome", 1),
        (TEN + 60 * minute, "Chrome", 1),
    ]
    # Every dimension adds up to the clicks of its row.
    mismatched = await stores.pool.fetchval(
        """SELECT count(*) FROM click_rollups r JOIN (
               SELECT link_id, bucket, is_bot, dimension, sum(clicks) AS clicks FROM click_dimension_rollups
               GROUP BY 1, 2, 3, 4) d USING (link_id, bucket, is_bot)
           WHERE d.clicks <> r.clicks"""
    )
    assert mismatched == 0


@pytest.mark.parametrize("table", ["click_rollups", "click_dimension_rollups"])
async def test_a_bucket_off_the_utc_quarter_hour_is_refused(stores: Stores, table: str) -> None:
    columns = "link_id, bucket, is_bot, clicks" + (", dimension, value" if table == "click_dimension_rollups" else "")
    values = "1, $1, false, 1" + (", 'os', ''" if table == "click_dimension_rollups" else "")
    insert = f"INSERT INTO {table} ({columns}) VALUES ({values})"
    with pytest.raises(asyncpg.CheckViolationError):
        await stores.pool.execute(insert, TEN + timedelta(minutes=7))
    with pytest.raises(asyncpg.CheckViolationError):
        await stores.pool.execute(insert, TEN + timedelta(minutes=15, seconds=1))
    await stores.pool.execute(insert, TEN + timedelta(minutes=45))
