"""Shard leases: advisory locks shared out fairly, and taken over when a holder goes away."""

from __future__ import annotations

from common.db import connect_kwargs
from common.settings import Settings
from tests.conftest import SettingsFactory
from worker.shards import ShardLeases


def leases(settings: Settings) -> ShardLeases:
    return ShardLeases(connect_kwargs=connect_kwargs(settings), schema=settings.database_schema, shards=4)


async def test_two_workers_split_the_shards_and_one_takes_over_when_the_other_dies(settings: Settings) -> None:
    first, second = leases(settings), leases(settings)
    try:
        assert await first.rebalance(live_workers=1) == {0, 1, 2, 3}
        # A second worker appears: the first gives back what exceeds its fair share...
        assert await second.rebalance(live_workers=2) == set()
        assert await first.rebalance(live_workers=2) == {0, 1}
        # ...and the second takes it (the first holds off retaking it for a few seconds).
        assert await second.rebalance(live_workers=2) == {2, 3}
        assert await first.rebalance(live_workers=2) == {0, 1}
        # Membership is counted from the locks themselves.
        assert await first._live_workers(await first._connection()) == 2
        # The second dies (its connection closes): its locks are free at once, and the first
        # takes them as soon as its hold-off on shards it gave away has passed.
        await second.close()
        assert await first._live_workers(await first._connection()) == 1
        first._released.clear()
        assert await first.rebalance() == {0, 1, 2, 3}
    finally:
        await first.close()
        await second.close()


async def test_locks_are_per_schema(settings: Settings, settings_factory: SettingsFactory) -> None:
    other = settings_factory()
    mine, theirs = leases(settings), leases(other)
    try:
        assert await mine.rebalance(live_workers=1) == {0, 1, 2, 3}
        assert await theirs.rebalance(live_workers=1) == {0, 1, 2, 3}
    finally:
        await mine.close()
        await theirs.close()
