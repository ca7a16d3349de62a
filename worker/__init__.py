"""The click worker: stream entries -> enriched rows and rollups in Postgres, exactly once."""

from __future__ import annotations

from worker.resources import open_worker_pool
from worker.worker import Worker, WorkerStats, check_health

__all__ = ["Worker", "WorkerStats", "check_health", "open_worker_pool"]
