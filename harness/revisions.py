"""Another revision of Hop on disk, exported from git: what a before/after benchmark runs beside
this one (harness.processes.start_edge with ``source``)."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class UnknownRevision(ValueError):
    pass


def export_revision(revision: str, into: Path) -> tuple[str, Path]:
    """The short id of ``revision`` and a new directory under ``into`` holding its files.

    Raises:
        UnknownRevision: git does not know it as a commit.
    """
    try:
        short = _git("rev-parse", "--short", f"{revision}^{{commit}}").decode().strip()
    except subprocess.CalledProcessError:
        raise UnknownRevision(f"{revision!r} is not a commit of this repository") from None
    source = into / f"revision-{short}"
    with tarfile.open(fileobj=io.BytesIO(_git("archive", "--format=tar", short))) as archive:
        archive.extractall(source, filter="data")
    return short, source


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=True).stdout
