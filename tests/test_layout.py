"""The floor plan holds: imports point down only, and `hop edge` loads nothing it does not run.

edge/, admin/, worker/  ->  common/          (never each other)
hop/                    ->  everything, each command's process only when that command runs
harness/                ->  everything but tests/, bench/, loadtest/
tests/, bench/, loadtest/ -> harness/ and what they test (loadtest never imports bench/)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "edge", "admin", "worker", "hop", "harness", "tools", "bench", "loadtest", "tests")
MAY_IMPORT = {
    "common": set(),
    "edge": {"common"},
    "admin": {"common"},
    "worker": {"common"},
    "hop": {"common", "edge", "admin", "worker"},
    "harness": {"common"},
    "tools": {"common"},
    "bench": {"common", "edge", "admin", "worker", "harness"},  # the edge's, the analytics' and the worker's
    "loadtest": {"common", "harness"},
}
# What `hop edge` must not load: the other processes and the libraries only they use.
NOT_FOR_THE_EDGE = ("admin", "worker", "argon2", "ua_parser", "maxminddb", "fastapi", "segno", "aiosmtplib")


def imported_packages(path: Path) -> set[str]:
    """The top-level names of every import in ``path``, wherever in the file it stands."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_imports_point_down_only(package: str) -> None:
    allowed = MAY_IMPORT[package] | {package}
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in imported_packages(path) & set(PACKAGES) - allowed
    }
    assert not wrong, sorted(wrong)


LOADED_BY = """
import contextlib, sys
from hop.cli import main
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(None):
    main(sys.argv[1:])
print("\\n".join(sorted(sys.modules)))
"""


def modules_loaded_by(*args: str) -> set[str]:
    """Every module `hop ARGS` has loaded by the time it exits (run in a fresh interpreter)."""
    command = [sys.executable, "-c", LOADED_BY, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_hop_edge_loads_nothing_of_admin_or_worker() -> None:
    loaded = modules_loaded_by("edge", "--help")
    assert "hop.commands.edge" in loaded
    heavy = sorted(module for module in loaded if module.split(".")[0] in NOT_FOR_THE_EDGE)
    assert not heavy, heavy


def test_the_edge_app_loads_nothing_of_admin_or_worker() -> None:
    """What a Granian worker of the edge imports: its heavy optional pieces (argon2 for protected
    links, ua-parser for targeting rules, maxminddb for HOP_GEOIP_DB) load on first use only."""
    probe = "import sys, edge.app, edge.server; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    heavy = sorted(module for module in result.stdout.split() if module.split(".")[0] in NOT_FOR_THE_EDGE)
    assert not heavy, heavy


def test_hop_help_loads_no_command() -> None:
    loaded = modules_loaded_by("--help")
    assert not {module for module in loaded if module.startswith("hop.commands.")}
