"""Exactly-once across crashes: real edge, real worker processes killed with SIGKILL mid-stream."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from functools import partial

import asyncpg
import pytest

from common.stores import open_stores
from harness.processes import Process
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link, held_shards, wait_until_async
from tests.traffic import send_requests

pytestmark = pytest.mark.e2e

CLICKS = 100_000
LINKS = 200
KILLS = 6
# Kill number k waits until k/(KILLS + 2) of the clicks are in Postgres: the kills follow the stream's
# progress (not the clock), and the last one still leaves a quarter of it to apply.
KILL_EVERY = CLICKS // (KILLS + 2)


async def clicks_in(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM clicks"))


def at_least(count: int) -> Callable[[int], bool]:
    return lambda value: value >= count


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_every_click_counted_once_while_workers_are_killed(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory, worker_factory: ProcessFactory
) -> None:
    settings = settings_factory(click_shards=4, worker_batch_size=50)
    codes = [f"k{n}" for n in range(LINKS)]
    async with open_stores(settings) as stores:
        for code in codes:
            await add_link(stores, settings, f"https://example.com/{code}", code=code)
        edge = edge_factory(settings, workers=2)
        # Two workers share the shards; one holding shards is SIGKILLed and restarted, in turn, while traffic flows.
        workers = [worker_factory(settings), worker_factory(settings)]
        restarts: dict[int, asyncio.Task[Process]] = {}  # slot -> its worker starting again
        rng = random.Random(5)
        paths = [f"/{rng.choice(codes[: rng.choice([5, LINKS])])}" for _ in range(CLICKS)]
        expected = Counter(path[1:] for path in paths)

        async def victim(preferred: int) -> int | None:
            """``preferred`` if it is up and holds shards (so is applying clicks), else the other one if it is."""
            for slot in (preferred, 1 - preferred):
                restart = restarts.get(slot)
                if restart is not None:
                    if not restart.done():
                        continue
                    workers[slot] = restarts.pop(slot).result()
                if held_shards(workers[slot]):
                    return slot
            return None

        async def killer() -> list[int]:
            """Kill after kill, the clicks in Postgres right after it (so: fewer than at any later moment)."""
            counts: list[int] = []
            try:
                for kill in range(1, KILLS + 1):
                    await wait_until_async(
                        lambda: clicks_in(stores.pool),
                        at_least(kill * KILL_EVERY),
                        timeout=60,
                        what=f"kill {kill}'s turn",
                    )
                    chosen = await wait_until_async(
                        partial(victim, kill % 2), lambda slot: slot is not None, what="a worker holding shards"
                    )
                    assert chosen is not None
                    await asyncio.to_thread(workers[chosen].kill)
                    counts.append(await clicks_in(stores.pool))
                    # Restarted in the background: the next kill waits for the stream's progress, not for this.
                    restarts[chosen] = asyncio.create_task(asyncio.to_thread(worker_factory, settings))
            finally:
                for slot, restart in restarts.items():  # every worker is up (or failed) before the test goes on
                    workers[slot] = await restart
            return counts

        kill_task = asyncio.create_task(killer())
        statuses = await send_requests(edge.url, paths, concurrency=64)
        counts_at_kills = await kill_task
        assert statuses == Counter({302: CLICKS})

        await wait_until_async(lambda: clicks_in(stores.pool), at_least(CLICKS), timeout=60, what="every click")
        for worker in workers:
            assert worker.terminate() == 0
        total = await clicks_in(stores.pool)
        print(f"crash test: SIGKILLs with {counts_at_kills} clicks in postgres, {CLICKS} sent, {total} in postgres")
        # Every kill landed while clicks were still to apply, not after the streams were drained.
        assert len(counts_at_kills) == KILLS and max(counts_at_kills) < CLICKS
        assert total == CLICKS
        counted = {
            row["code"]: row["click_count"] for row in await stores.pool.fetch("SELECT code, click_count FROM links")
        }
        assert counted == {code: expected.get(code, 0) for code in codes}
        per_link = {
            row["code"]: row["count"]
            for row in await stores.pool.fetch(
                "SELECT l.code, count(*) FROM clicks c JOIN links l ON l.id = c.link_id GROUP BY 1"
            )
        }
        assert per_link == dict(expected)
        duplicates = await stores.pool.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM clicks GROUP BY shard, stream_id, position HAVING count(*) > 1) d"
        )
        assert duplicates == 0
        assert await stores.pool.fetchval("SELECT sum(clicks) FROM click_rollups") == CLICKS
        assert await stores.pool.fetchval("SELECT count(*) FROM failed_click_entries") == 0
