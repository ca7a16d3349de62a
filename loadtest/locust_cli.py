"""Running Locust headless on loadtest/locustfile.py against a started stack."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.processes import free_port
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
    processes: int = 1  # Locust worker processes; above 1, a master aggregates their stats
    loop_lag: bool = False  # also time Locust's own event loop (the knee search's stages)
    warmup_s: int = 0  # run this much longer, and count only what comes after it


def locust_command(stack: Stack, run: Run, *, report_dir: Path, stem: str, html: bool = True) -> list[str]:
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
        f"{run.seconds + run.warmup_s}s",
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
        "--csv",
        str(report_dir / stem),  # {stem}_stats.csv: the per-run figures the knee search reads
    ]
    if html:
        command += ["--html", str(report_dir / f"{stem}.html")]
    if run.loop_lag:
        command.append("--loop-lag")
    if run.warmup_s:
        command += ["--warmup-s", str(run.warmup_s)]
    if run.processes > 1:
        command += _distributed(run.processes)
    if stack.admin is not None and run.admin_users:
        command += ["--admin-host", stack.admin.url, "--admin-users", str(run.admin_users)]
    return [*command, *users]


def _distributed(processes: int) -> list[str]:
    # --processes forks workers that reach their master over ZeroMQ, by default on *:5557: a port of
    # our own on loopback keeps two load tests on one machine (or `make test` beside one) apart.
    port = str(free_port())
    loopback = ["--master-bind-host", "127.0.0.1", "--master-bind-port", port, "--master-host", "127.0.0.1"]
    return ["--processes", str(processes), *loopback, "--master-port", port]


def run_locust(
    stack: Stack, run: Run, *, report_dir: Path, stem: str = "locust", html: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run Locust to completion, capturing its output; the exit code is 0 only when every threshold is met."""
    report_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        locust_command(stack, run, report_dir=report_dir, stem=stem, html=html),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=run.seconds + run.warmup_s + 120,
        check=False,
    )
