"""`make faults` end to end, in small: one short run of the real script, which must keep its promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.stores import StoreUrls

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_an_edge_sigterm_run_counts_every_served_redirect(store_urls: StoreUrls) -> None:
    # The script takes its stores from HOP_BENCH_*: the ones this test session uses.
    env = os.environ | {"HOP_BENCH_REDIS_URL": store_urls.redis_url, "HOP_BENCH_DATABASE_URL": store_urls.database_url}
    command = [sys.executable, "-m", "bench.faults", "--only", "edge-sigterm", "--seconds", "3", "--rate", "200"]

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=80)

    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("edge-sigterm ")]
    assert len(rows) == 1, result.stdout
    assert rows[0].endswith("PASS"), result.stdout
    sent, _rate, served, failed, counted = (int(cell) for cell in rows[0].split()[1:6])
    assert sent == 600 and served + failed == sent and counted == served > 0
