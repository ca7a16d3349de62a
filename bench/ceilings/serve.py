"""Run a ceiling app on exactly the edge's Granian options: `python -m bench.ceilings.serve dict|common`."""

from __future__ import annotations

import sys
from pathlib import Path

from granian import Granian

from common.settings import EdgeSettings, load_settings_or_exit
from edge.server import edge_options
from harness.processes import Process, free_port, settings_env, spawn

TARGETS = {
    "dict": "bench.ceilings.dict_app:app_factory",
    "common": "bench.ceilings.common_app:app_factory",
}
READY = ("ceiling worker", "Started worker")


def start_ceiling(kind: str, settings: EdgeSettings, *, workers: int, log_path: Path) -> Process:
    """A ceiling app on a free port, with ``workers`` Granian workers, ready to serve."""
    port = free_port()
    env = settings_env(settings, edge_port=port, edge_workers=workers)
    command = [sys.executable, "-m", "bench.ceilings.serve", kind]
    process = spawn(f"ceiling {kind}", command, env=env, log_path=log_path, port=port)
    process.wait_for_log(*READY, count=workers)
    return process


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TARGETS:
        print(f"usage: python -m bench.ceilings.serve {'|'.join(TARGETS)}", file=sys.stderr)
        return 2
    settings = load_settings_or_exit(EdgeSettings)
    Granian(TARGETS[argv[0]], factory=True, **edge_options(settings)).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
