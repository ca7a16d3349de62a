"""Another revision's edge beside this one, in the same `make bench` run: a before/after comparison
taken seconds apart, on the same machine load, rather than in two runs minutes apart.

The revision's files are exported from git (``git archive``) into the run's directory and its edge
imports them (harness.processes.start_edge with ``source``). It serves a namespace of its own,
seeded with the same links, so each edge's clicks are counted against its own redirects.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from common.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Baseline:
    revision: str  # short commit id
    source: Path  # the revision's files
    settings: Settings  # its own namespace

    @property
    def label(self) -> str:
        return f"edge @{self.revision}"


def export_revision(revision: str, into: Path) -> tuple[str, Path]:
    """The short id of ``revision`` and a directory holding its files.

    Raises:
        SystemExit: git does not know the revision.
    """
    try:
        short = _git("rev-parse", "--short", f"{revision}^{{commit}}").decode().strip()
    except subprocess.CalledProcessError:
        raise SystemExit(f"bench: --baseline {revision!r} is not a commit of this repository") from None
    source = into / f"baseline-{short}"
    with tarfile.open(fileobj=io.BytesIO(_git("archive", "--format=tar", short))) as archive:
        archive.extractall(source, filter="data")
    return short, source


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=True).stdout


def prepare(revision: str, settings: Settings, into: Path) -> Baseline:
    """The baseline of ``revision``: its files under ``into``, and a namespace beside ``settings``'s."""
    short, source = export_revision(revision, into)
    namespace = {"database_schema": f"{settings.database_schema}_base", "redis_prefix": f"{settings.redis_prefix}base:"}
    return Baseline(revision=short, source=source, settings=settings.model_copy(update=namespace))
