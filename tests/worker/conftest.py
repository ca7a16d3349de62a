"""Fixtures for the in-process worker: the pool it is given, as `hop worker` would open it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from common.settings import Settings
from worker import open_worker_pool


@pytest.fixture
async def worker_pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's schema with the worker's inet codec, to hand to ``Worker(pool=...)``."""
    async with open_worker_pool(settings) as pool:
        yield pool
