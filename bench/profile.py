"""`python -m bench.profile`: py-spy on one edge worker under the bench's closed-loop load.

Writes bench/results/edge-profile.txt (collapsed stacks, for flamegraph tools or speedscope) and
edge-profile.svg, and prints the functions with the most samples: where they are on the stack
(inclusive) and at the top of it (self).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.report import RESULTS_DIR
from bench.run import Bench, Plan, log, with_stores
from bench.tools import ensure_tools
from common.settings import Settings
from harness.processes import start_edge


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("bench: py-spy is missing; it is a dev dependency: make install, or pip install py-spy")
    return found


def record(pid: int, *, seconds: float, output: Path, fmt: str) -> subprocess.Popen[bytes]:
    # --nonblocking: sample without pausing the worker, so the profile does not slow what it measures.
    command = [py_spy(), "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", "250"]
    command += ["--duration", str(round(seconds)), "--format", fmt, "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# Process start-up frames under every sample (multiprocessing, Granian's server, our CLI): not costs.
_TRUNK_FILES = frozenset(
    {"mp.py", "common.py", "process.py", "popen_fork.py", "context.py", "cli.py", "serve.py", "runpy>"}
)


def _short(frame: str) -> str:
    # "redirect (edge/app.py:52)" -> "redirect app.py"
    name, _, where = frame.partition(" (")
    return f"{name} {where.split(':')[0].rsplit('/', 1)[-1]}"


def summarize(collapsed: Path, top: int = 15) -> str:
    """The most sampled functions, inclusive and self, from py-spy's raw (collapsed) output."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        # py-spy's first frame names the process; a stack of that frame alone is time in native code
        # (Granian's Rust side, uvloop, the kernel) with no Python frame above it.
        frames = [_short(frame) for frame in stack.split(";") if not frame.startswith("process ")] or ["<native>"]
        total += count
        for frame in set(frames):
            if frame.rsplit(" ", 1)[-1] not in _TRUNK_FILES:
                inclusive[frame] += count
        own[frames[-1]] += count
    lines = [f"{total} samples"]
    for title, counter in (("inclusive", inclusive), ("self", own)):
        lines.append(f"-- {title}")
        lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in counter.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)
    plan = Plan(seconds=args.seconds, workers=(1,))
    tools = ensure_tools()

    def body(settings: Settings) -> None:
        with tempfile.TemporaryDirectory(prefix="hop-profile-") as tmp:
            bench = Bench(plan, settings, Path(tmp), tools)
            bench.seed()
            server = start_edge(settings, workers=1, log_path=bench.log("edge-profile"))
            try:
                bench.closed(server.url, plan.warmup)
                RESULTS_DIR.mkdir(exist_ok=True)
                raw = RESULTS_DIR / "edge-profile.txt"
                spies = [
                    record(server.process.pid, seconds=plan.seconds, output=raw, fmt="raw"),
                    record(server.process.pid, seconds=plan.seconds, output=raw.with_suffix(".svg"), fmt="flamegraph"),
                ]
                time.sleep(1)  # py-spy attaches
                result = bench.closed(server.url, plan.seconds)
                for spy in spies:
                    spy.wait(timeout=60)
            finally:
                server.stop()
            log(f"edge under profile: {result.rps:,.0f} req/s, p50 {result.p50:.2f} ms, p99 {result.p99:.2f} ms")
            summary = summarize(raw)
            (RESULTS_DIR / "edge-profile-summary.txt").write_text(summary + "\n")
            print(summary)

    with_stores(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
