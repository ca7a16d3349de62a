"""The processes a load test runs against: the edge, and the admin API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from common.settings import Settings
from harness import seed
from harness.processes import Process, start_admin, start_edge

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    edge: Process
    admin: Process | None
    codes_file: Path
    servers: list[Process] = field(default_factory=list)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def seed_codes(settings: Settings, *, links: int, directory: Path) -> Path:
    """Seed ``links`` links (Postgres and Redis); returns the file of their codes, most popular first."""
    codes = seed.make_codes(links)
    asyncio.run(seed.seed_links(settings, codes))
    path = directory / "codes.txt"
    path.write_text("\n".join(codes) + "\n")  # codes are random, so file order is as good as any ranking
    return path


def start_stack(settings: Settings, *, links: int, log_dir: Path, with_admin: bool = True) -> Stack:
    """Seed links, start the edge (one worker) and, when wanted, the admin API (one worker)."""
    codes_file = seed_codes(settings, links=links, directory=log_dir)
    edge = start_edge(settings, log_path=log_dir / "edge.log")
    stack = Stack(edge=edge, admin=None, codes_file=codes_file, servers=[edge])
    if with_admin:
        try:
            stack.admin = start_admin(settings, log_path=log_dir / "admin.log")
        except BaseException:
            stack.stop()
            raise
        stack.servers.append(stack.admin)
    return stack
