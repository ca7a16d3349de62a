"""The click worker's Prometheus series, served with /healthz and /readyz on its private port."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from common.metrics import MetricsServer, ReadyCheck, render_registry, serve_metrics

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class WorkerMetrics:
    """The click worker's series. Call ``applied`` after each committed transaction."""

    clicks_applied: Counter
    batches: Counter
    batch_seconds: Histogram
    lag_seconds: Gauge
    entries_failed: Counter
    stream_gaps: Counter  # see worker/gaps.py
    stream_entries_lost: Counter
    registry: CollectorRegistry

    def applied(self, *, shard: int, clicks: int, seconds: float, lag_seconds: float) -> None:
        """One committed transaction on ``shard``: ``clicks`` applied in ``seconds`` (read to commit);
        ``lag_seconds`` is the age at commit of the oldest click in it (``Applied.oldest_ms``)."""
        self.clicks_applied.inc(clicks)
        self.batches.inc()
        self.batch_seconds.observe(seconds)
        self.lag_seconds.labels(shard=str(shard)).set(max(0.0, lag_seconds))

    def failed(self, count: int = 1) -> None:
        """Stream entries that could not be applied (poison) and were recorded as failed."""
        self.entries_failed.inc(count)

    def render(self) -> bytes:
        """The series in Prometheus' text format."""
        return render_registry(self.registry)


def new_worker_metrics() -> WorkerMetrics:
    """A fresh set of the worker's series in a registry of its own (tests make one each)."""
    # Imported here, as in common.metrics: prometheus-client picks its value class at import.
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry()
    return WorkerMetrics(
        clicks_applied=Counter("hop_worker_clicks_applied", "Clicks written to Postgres.", registry=registry),
        batches=Counter("hop_worker_batches", "Postgres transactions committed.", registry=registry),
        batch_seconds=Histogram(
            "hop_worker_batch_seconds",
            "Time to apply one batch, read to commit.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        ),
        lag_seconds=Gauge(
            "hop_worker_lag_seconds",
            "Age at commit of the oldest click of the last batch, per shard.",
            ["shard"],
            registry=registry,
        ),
        entries_failed=Counter("hop_worker_entries_failed", "Stream entries recorded as failed.", registry=registry),
        stream_gaps=Counter(
            "hop_worker_stream_gaps",
            "Times click stream entries were found removed before the worker applied them.",
            ["shard"],
            registry=registry,
        ),
        stream_entries_lost=Counter(
            "hop_worker_stream_entries_lost",
            "Click stream entries (packed batches) known removed before the worker applied them.",
            ["shard"],
            registry=registry,
        ),
        registry=registry,
    )


@cache
def worker_metrics() -> WorkerMetrics:
    """The worker's metrics, created once per process (what `hop worker` serves)."""
    return new_worker_metrics()


def start_worker_metrics(
    *, host: str, port: int, ready: ReadyCheck | None = None, metrics: WorkerMetrics | None = None
) -> MetricsServer | None:
    """Serve ``metrics`` (default ``worker_metrics()``) with /healthz and /readyz; None when ``port`` is 0.

    Raises:
        MetricsPortError: when the port cannot be bound.
    """
    if port == 0:
        return None
    render = (metrics or worker_metrics()).render
    return serve_metrics(host=host, port=port, render=render, ready=ready, setting="HOP_WORKER_METRICS_PORT")
