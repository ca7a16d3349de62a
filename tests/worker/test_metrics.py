"""The worker's metrics endpoint: its series, liveness and readiness."""

from __future__ import annotations

import httpx

from common.metrics import sample_value
from harness.processes import free_port
from worker.metrics import new_worker_metrics, start_worker_metrics


def test_worker_endpoint_serves_metrics_health_and_readiness() -> None:
    ready = {"ok": False}
    metrics = new_worker_metrics()
    server = start_worker_metrics(host="127.0.0.1", port=free_port(), ready=lambda: ready["ok"], metrics=metrics)
    assert server is not None
    try:
        metrics.applied(shard=1, clicks=40, seconds=0.02, lag_seconds=0.5)
        metrics.failed()
        base = f"http://127.0.0.1:{server.port}"
        text = httpx.get(f"{base}/metrics", timeout=5).text
        # Its own registry: nothing else in this process has counted into it.
        assert sample_value(text, "hop_worker_clicks_applied_total") == 40
        assert sample_value(text, "hop_worker_entries_failed_total") == 1
        assert sample_value(text, "hop_worker_lag_seconds", (("shard", "1"),)) == 0.5
        assert "hop_worker_batch_seconds_bucket" in text and "hop_worker_entries_failed_total" in text
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 503
        ready["ok"] = True
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    finally:
        server.close()
    assert start_worker_metrics(host="127.0.0.1", port=0) is None
