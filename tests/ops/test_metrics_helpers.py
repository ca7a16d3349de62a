"""common/metrics.py: the delta exporter, the multiprocess directory, the worker's endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from common import metrics
from common.metrics import DeltaExporter, MetricsPortError, sample_value, serve_metrics
from harness.processes import free_port


class FakeCounter:
    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1) -> None:
        self.value += amount

    def set(self, value: float) -> None:
        self.value = value


def test_delta_exporter_adds_only_growth_since_it_started() -> None:
    source = {"n": 5}
    counter, gauge = FakeCounter(), FakeCounter()
    exporter = DeltaExporter()
    exporter.counter(lambda: source["n"], counter)
    exporter.gauge(lambda: source["n"] * 2, gauge)
    exporter.export()
    assert counter.value == 0 and gauge.value == 10
    source["n"] = 12
    exporter.export()
    exporter.export()
    assert counter.value == 7 and gauge.value == 24


def test_multiprocess_dir_is_fresh_and_temporary_dirs_are_removed(tmp_path: Path) -> None:
    (tmp_path / "edge").mkdir()
    (tmp_path / "edge" / "counter_123.db").write_bytes(b"old")
    with metrics.multiprocess_dir(tmp_path, "edge") as path:
        assert path == tmp_path / "edge" and not list(path.glob("*.db"))
    with metrics.multiprocess_dir(None, "edge") as path:
        assert path.is_dir()
    assert not path.exists()


def test_samples_of_processes_are_summed_and_dead_gauges_forgotten(tmp_path: Path) -> None:
    # Two short-lived processes write like two Granian workers; their counters add up, and the
    # live gauges of dead processes are dropped from the sum.
    script = (
        "from prometheus_client import Counter, Gauge\n"
        "Counter('hop_test_things', 'x').inc(3)\n"
        "Gauge('hop_test_live', 'x', multiprocess_mode='livesum').set(7)\n"
    )
    env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], env=env, check=True)
    text = metrics.render_multiprocess(tmp_path).decode()
    assert sample_value(text, "hop_test_things_total") == 6
    assert sample_value(text, "hop_test_live") == 0  # both writers exited


def test_a_taken_port_is_a_clear_error() -> None:
    server = serve_metrics(host="127.0.0.1", port=free_port(), render=lambda: b"")
    try:
        with pytest.raises(MetricsPortError, match="HOP_EDGE_METRICS_PORT"):
            serve_metrics(host="127.0.0.1", port=server.port, render=lambda: b"", setting="HOP_EDGE_METRICS_PORT")
    finally:
        server.close()
