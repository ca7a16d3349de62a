"""`hop dev`'s state file: the stores a running `hop dev` uses, so that other `hop` commands find them.

`hop dev` writes ``{data_dir}/dev-stores.json`` once its stores answer and removes it when it
exits. A `hop` command run beside it with no store URL configured reads the file and uses the
same stores, schema and key prefix (``hop user create --admin`` needs nothing exported by hand).
A file whose process is gone (``hop dev`` killed with SIGKILL) is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

STATE_FILE: Final = "dev-stores.json"


@dataclass(frozen=True, slots=True)
class DevStores:
    """What a running `hop dev` uses, and its process id."""

    pid: int
    redis_url: str
    database_url: str
    database_schema: str
    redis_prefix: str


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def write_state(data_dir: Path, stores: DevStores) -> Path:
    """Write the state file (owner-only: the URLs may hold passwords), replacing any older one."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = state_path(data_dir)
    partial = path.with_suffix(".tmp")
    # Written whole, then renamed: a reader never sees half a file.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(asdict(stores), file, indent=2)
    partial.replace(path)
    return path


def read_live_state(data_dir: Path) -> DevStores | None:
    """The running `hop dev`'s stores; None without a readable file or when its process is gone."""
    try:
        data = json.loads(state_path(data_dir).read_text(encoding="utf-8"))
        stores = DevStores(**data)
    except (OSError, ValueError, TypeError):
        return None
    return stores if process_alive(stores.pid) else None


def remove_state(data_dir: Path, pid: int) -> None:
    """Remove the state file if process ``pid`` wrote it (never another `hop dev`'s)."""
    path = state_path(data_dir)
    try:
        owner = json.loads(path.read_text(encoding="utf-8")).get("pid")
    except (OSError, ValueError, AttributeError):
        return
    if owner == pid:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def process_alive(pid: int) -> bool:
    """True when a process ``pid`` exists (signal 0 checks without sending anything)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True
