"""The load generators the bench needs, installed from Debian's packages when missing.

wrk is required; h2load (open-loop latency) and nginx (ceiling b) are measured when present.
Installing needs root and apt-get: elsewhere the bench says what is missing and goes on without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# binary -> Debian package that ships it
PACKAGES = {"wrk": "wrk", "h2load": "nghttp2-client", "nginx": "nginx-light"}
_SBIN = ("/usr/sbin", "/usr/local/sbin")


def which(binary: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for directory in _SBIN:
        path = os.path.join(directory, binary)
        if os.access(path, os.X_OK):
            return path
    return None


def ensure_tools() -> dict[str, str | None]:
    """Path of each tool, installing the missing ones with apt-get when we may."""
    missing = [binary for binary in PACKAGES if which(binary) is None]
    if missing:
        packages = [PACKAGES[binary] for binary in missing]
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print(f"bench: installing {' '.join(packages)} with apt-get", file=sys.stderr, flush=True)
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
            if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode != 0:
                # The package lists may be stale or absent on a fresh machine.
                subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=False)
                subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False)
        else:
            print(f"bench: missing {' '.join(missing)}; install {' '.join(packages)}", file=sys.stderr, flush=True)
    tools = {binary: which(binary) for binary in PACKAGES}
    if tools["wrk"] is None:
        raise SystemExit("bench: wrk is required (Debian package wrk)")
    return tools
