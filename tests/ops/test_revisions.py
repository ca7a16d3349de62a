"""Another revision on disk (harness/revisions.py), and an edge that runs its code: what
`make bench BASELINE=REV` compares this edge with."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from common.settings import Settings
from common.stores import Stores
from harness.processes import start_edge
from harness.revisions import ROOT, UnknownRevision, export_revision
from tests.helpers import add_link

pytestmark = pytest.mark.e2e


def test_an_unknown_revision_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownRevision, match="'no-such-revision' is not a commit"):
        export_revision("no-such-revision", tmp_path)


async def test_an_edge_runs_the_exported_revisions_code(settings: Settings, stores: Stores, tmp_path: Path) -> None:
    short, source = export_revision("HEAD", tmp_path)
    committed = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:edge/app.py"], capture_output=True, check=True)
    assert (source / "edge" / "app.py").read_bytes() == committed.stdout and len(short) >= 7
    # Mark the export's redirects, so that the answer shows whose code served it.
    responses = source / "edge" / "responses.py"
    original = responses.read_text()
    marked = original.replace('(b"content-length", b"0"),', '(b"content-length", b"0"), (b"x-exported", b"yes"),')
    assert marked != original
    responses.write_text(marked)

    await add_link(stores, settings, "https://example.com/old", code="old")
    edge = start_edge(settings, log_path=tmp_path / "edge.log", source=source)
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{edge.url}/old")
    finally:
        edge.stop()
    assert answer.headers["location"] == "https://example.com/old" and answer.headers["x-exported"] == "yes"
