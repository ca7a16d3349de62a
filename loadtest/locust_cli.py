"""Running Locust headless on loadtest/locustfile.py against a started stack."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from loadtest.stack import ROOT, Stack

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass(frozen=True)
class Run:
    """One headless run; thresholds of 0 are not checked (the smoke run checks failures only)."""

    seconds: int = 60
    redirect_users: int = 10
    redirect_rps: float = 20.0  # per user: 10 x 20 = 200/s = 12,000/min, above the 10,000/min floor
    admin_users: int = 3
    p95_ms: float = 5.0
    p99_ms: float = 10.0
    min_per_minute: float = 10_000
    max_failures: int = 0


def locust_command(stack: Stack, run: Run, *, report_dir: Path, stem: str) -> list[str]:
    users = ["RedirectUser"]
    total_users = run.redirect_users
    if stack.admin is not None and run.admin_users:
        users.append("AdminUser")
        total_users += run.admin_users
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--users",
        str(total_users),
        "--spawn-rate",
        str(total_users),  # everyone within a second: the run measures steady load, not a ramp
        "--run-time",
        f"{run.seconds}s",
        "--stop-timeout",
        "5",
        "--host",
        stack.edge.url,
        "--codes-file",
        str(stack.codes_file),
        "--redirect-rps",
        str(run.redirect_rps),
        "--p95-ms",
        str(run.p95_ms),
        "--p99-ms",
        str(run.p99_ms),
        "--min-per-minute",
        str(run.min_per_minute),
        "--max-failures",
        str(run.max_failures),
        "--html",
        str(report_dir / f"{stem}.html"),
    ]
    if stack.admin is not None and run.admin_users:
        command += ["--admin-host", stack.admin.url, "--admin-users", str(run.admin_users)]
    return [*command, *users]


def run_locust(stack: Stack, run: Run, *, report_dir: Path, stem: str = "locust") -> subprocess.CompletedProcess[str]:
    """Run Locust to completion, echoing its output; the exit code is 0 only when every threshold is met."""
    report_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        locust_command(stack, run, report_dir=report_dir, stem=stem),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=run.seconds + 120,
        check=False,
    )
