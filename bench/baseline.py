"""Another revision's edge beside this one, in the same `make bench` run: a before/after comparison
taken seconds apart, on the same machine load, rather than in two runs minutes apart.

The revision's files are exported from git (harness/revisions.py) into the run's directory and its
edge imports them (harness.processes.start_edge with ``source``). It serves a namespace of its own,
seeded with the same links, so each edge's clicks are counted against its own redirects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.settings import Settings
from harness.revisions import UnknownRevision, export_revision


@dataclass(frozen=True)
class Baseline:
    revision: str  # short commit id
    source: Path  # the revision's files
    settings: Settings  # its own namespace

    @property
    def label(self) -> str:
        return f"edge @{self.revision}"


def prepare(revision: str, settings: Settings, into: Path) -> Baseline:
    """The baseline of ``revision``: its files under ``into``, and a namespace beside ``settings``'s.

    Raises:
        SystemExit: git does not know the revision.
    """
    try:
        short, source = export_revision(revision, into)
    except UnknownRevision as error:
        raise SystemExit(f"bench: --baseline: {error}") from None
    namespace = {"database_schema": f"{settings.database_schema}_base", "redis_prefix": f"{settings.redis_prefix}base:"}
    return Baseline(revision=short, source=source, settings=settings.model_copy(update=namespace))
