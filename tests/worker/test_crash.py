"""Exactly-once across crashes: real edge, real worker processes killed with SIGKILL mid-stream."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from admin.stores import open_stores
from tests.conftest import SettingsFactory
from tests.helpers import add_link
from tests.traffic import send_requests
from tests.worker.processes import WorkerProcess, start_worker

pytestmark = pytest.mark.e2e

CLICKS = 100_000
LINKS = 200
KILLS = 6


async def wait_for(pool, sql: str, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        value = await pool.fetchval(sql)
        if value == expected or time.monotonic() > deadline:
            return int(value or 0)
        await asyncio.sleep(0.2)


@pytest.mark.timeout(180)
async def test_every_click_counted_once_while_workers_are_killed(
    settings_factory: SettingsFactory, edge_factory, tmp_path: Path
) -> None:
    settings = settings_factory(click_shards=4, worker_batch_size=50)
    codes = [f"k{n}" for n in range(LINKS)]
    async with open_stores(settings) as stores:
        for code in codes:
            await add_link(stores, settings, f"https://example.com/{code}", code=code)
        edge = edge_factory(settings, workers=2)
        log = tmp_path / "worker.log"
        # Two workers share the shards; each is SIGKILLed and restarted in turn while traffic flows.
        workers: list[WorkerProcess] = [start_worker(settings, log), start_worker(settings, log)]
        rng = random.Random(5)
        paths = [f"/{rng.choice(codes[: rng.choice([5, LINKS])])}" for _ in range(CLICKS)]
        expected = Counter(path[1:] for path in paths)

        async def killer() -> int:
            kills = 0
            while kills < KILLS:
                await asyncio.sleep(rng.uniform(0.8, 1.6))
                victim = kills % len(workers)
                await asyncio.to_thread(workers[victim].kill)
                kills += 1
                workers[victim] = await asyncio.to_thread(start_worker, settings, log)
            return kills

        kill_task = asyncio.create_task(killer())
        statuses = await send_requests(edge.base_url, paths, concurrency=64)
        kills = await kill_task
        assert statuses == Counter({302: CLICKS})

        total = await wait_for(stores.pool, "SELECT count(*) FROM clicks", CLICKS, timeout=60)
        for worker in workers:
            assert worker.terminate() == 0
        print(f"crash test: {kills} SIGKILLs, {CLICKS} clicks sent, {total} clicks in postgres")
        assert total == CLICKS
        counted = dict(await stores.pool.fetch("SELECT code, click_count FROM links"))
        assert counted == {code: expected.get(code, 0) for code in codes}
        per_link = dict(
            await stores.pool.fetch("SELECT l.code, count(*) FROM clicks c JOIN links l ON l.id = c.link_id GROUP BY 1")
        )
        assert per_link == dict(expected)
        duplicates = await stores.pool.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM clicks GROUP BY shard, stream_id, position HAVING count(*) > 1) d"
        )
        assert duplicates == 0
        assert await stores.pool.fetchval("SELECT sum(clicks) FROM click_rollups") == CLICKS
        assert await stores.pool.fetchval("SELECT count(*) FROM failed_click_entries") == 0
