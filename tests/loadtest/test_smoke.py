"""The load test's smoke form: Locust's scenarios against real processes, for about 15 seconds.

It checks failures only (timings on a shared CI machine say nothing), so the locustfile, the
runner and the APIs they call cannot drift apart unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.clicks import clicks_by_code
from loadtest.locust_cli import run_locust
from loadtest.run import SMOKE
from loadtest.stack import start_stack
from tests.conftest import SettingsFactory

pytestmark = pytest.mark.e2e


@pytest.mark.slow
def test_locust_smoke_has_no_failures(settings_factory: SettingsFactory, tmp_path: Path) -> None:
    settings = settings_factory()
    stack = start_stack(settings, links=2_000, log_dir=tmp_path)
    try:
        result = run_locust(stack, SMOKE, report_dir=tmp_path / "reports", stem="smoke")
    finally:
        stack.stop()  # SIGTERM: the edge flushes its clicks
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "GET /{code}" in output
    assert "create link" in output and "list links" in output, output
    assert (tmp_path / "reports" / "smoke.html").exists()
    # Redirects were served and each one left its click in the streams.
    assert sum(clicks_by_code(settings).values()) > 0
