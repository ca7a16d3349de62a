"""The click worker: stream entries -> enriched rows and rollups in Postgres, exactly once."""

from __future__ import annotations

from admin.worker.loop import Worker, WorkerStats, check_health

__all__ = ["Worker", "WorkerStats", "check_health"]
