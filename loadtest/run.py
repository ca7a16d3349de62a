"""`make loadtest`: seed links, start the edge (and admin API), run Locust headless, judge the thresholds,
then find the knee: the highest redirect rate at which p99 stays under 5 ms.

    python -m loadtest.run            # 60 s at 12,000 redirects/min: p95 < 5 ms, p99 < 10 ms, no failures;
                                      # then the knee search (loadtest/knee.py), up to 10 stages of 3 + 12 s
    python -m loadtest.run --no-knee  # the threshold run only
    python -m loadtest.run --smoke    # 15 s, failures only: what `make test` runs so this cannot rot

The HTML report goes to loadtest/reports/, the knee search's stage statistics to loadtest/reports/knee/.
The exit code is the threshold run's: 0 only when every threshold is met. The knee is reported, not
judged: on a shared 2-core machine it moves with whatever else runs there.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from harness.stores import drop_namespace, namespaced, stores_for
from loadtest import knee
from loadtest.locust_cli import Run, run_locust
from loadtest.stack import Stack, start_stack
from loadtest.stages import StageResult, run_stage

REPORT_DIR = Path(__file__).with_name("reports")
SMOKE = Run(seconds=15, redirect_users=4, redirect_rps=10, admin_users=2, p95_ms=0, p99_ms=0, min_per_minute=0)


@dataclass(frozen=True)
class Plan:
    run: Run | None  # the threshold run; None with --knee-only
    search: knee.Search | None  # None with --smoke or --no-knee
    links: int = 10_000
    with_admin: bool = True
    stage_seconds: int = 12  # counted after a 3 s warm-up: 2,400 redirects or more, a p99 from 24 and up
    locust_processes: int = 2  # one per core: a single Locust process timed its own queueing from ~1,200/s
    stem: str = "locust"  # the threshold run's report name


def parse_args(argv: list[str] | None) -> Plan:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="short run, failures only, no knee search")
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--redirect-users", type=int)
    parser.add_argument("--redirect-rps", type=float, help="per redirect user")
    parser.add_argument("--admin-users", type=int)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--no-admin", action="store_true")
    knee_options = parser.add_mutually_exclusive_group()
    knee_options.add_argument("--no-knee", action="store_true", help="the threshold run only")
    knee_options.add_argument("--knee-only", action="store_true", help="the knee search only")
    parser.add_argument("--stage-seconds", type=int, default=Plan.stage_seconds, help="each knee stage, measured")
    parser.add_argument("--max-stages", type=int, default=knee.Search.max_stages)
    parser.add_argument("--locust-processes", type=int, default=Plan.locust_processes, help="in each knee stage")
    args = parser.parse_args(argv)
    run = SMOKE if args.smoke else Run()
    changes = {
        name: getattr(args, name)
        for name in ("seconds", "redirect_users", "redirect_rps", "admin_users")
        if getattr(args, name) is not None
    }
    with_knee = not (args.smoke or args.no_knee)
    return Plan(
        run=None if args.knee_only and not args.smoke else replace(run, **changes),
        search=knee.Search(max_stages=args.max_stages) if with_knee else None,
        links=args.links,
        with_admin=not args.no_admin,
        stage_seconds=args.stage_seconds,
        locust_processes=args.locust_processes,
        stem="smoke" if args.smoke else "locust",
    )


def threshold_run(stack: Stack, run: Run, stem: str) -> int:
    result = run_locust(stack, run, report_dir=REPORT_DIR, stem=stem)
    sys.stdout.write(result.stdout)
    sys.stdout.write(result.stderr)
    print(f"loadtest: report in {REPORT_DIR}; exit code {result.returncode}", flush=True)
    return result.returncode


def knee_search(stack: Stack, plan: Plan, search: knee.Search) -> None:
    stage_dir = REPORT_DIR / "knee"
    shutil.rmtree(stage_dir, ignore_errors=True)  # the directory holds the last search, every run of it
    stage_dir.mkdir(parents=True)
    numbers = itertools.count(1)

    def stage(rate_per_s: float) -> StageResult:
        stem = f"stage-{next(numbers):02d}-{rate_per_s * 60:.0f}-per-min"  # a rate run again gets a file of its own
        return run_stage(
            stack,
            rate_per_s,
            seconds=plan.stage_seconds,
            processes=plan.locust_processes,
            work_dir=stage_dir,
            stem=stem,
        )

    load_before = os.getloadavg()[0]
    lines = knee.report(knee.find_knee(stage, search), search)
    lines.append(f"load average {load_before:.2f} before the search, {os.getloadavg()[0]:.2f} after")
    print("\n".join(f"loadtest: {line}" for line in lines), flush=True)
    (stage_dir / "knee.txt").write_text("\n".join(lines) + "\n")


def run_plan(stack: Stack, plan: Plan) -> int:
    returncode = threshold_run(stack, plan.run, plan.stem) if plan.run else 0
    if plan.search:
        try:
            knee_search(stack, plan, plan.search)
        except (RuntimeError, subprocess.SubprocessError) as error:
            # The knee is a report: a stage that broke says so without hiding the threshold run's verdict.
            print(f"loadtest: knee search stopped: {error}", flush=True)
    return returncode


def main(argv: list[str] | None = None) -> int:
    plan = parse_args(argv)
    with stores_for("HOP_LOADTEST", Path(tempfile.mkdtemp(prefix="hop-loadtest-stores-"))) as urls:
        # All load comes from one address: the edge's per-address 404 budget would answer it 429.
        settings = namespaced(urls, tag="loadtest", environment="test", edge_not_found_rate=0)
        with tempfile.TemporaryDirectory(prefix="hop-loadtest-") as tmp:
            stack = start_stack(settings, links=plan.links, log_dir=Path(tmp), with_admin=plan.with_admin)
            try:
                admin = stack.admin.url if stack.admin else "not started (--no-admin)"
                print(f"loadtest: edge {stack.edge.url}, admin {admin}, {plan.links:,} links, {plan}", flush=True)
                return run_plan(stack, plan)
            finally:
                stack.stop()
                asyncio.run(drop_namespace(settings))


if __name__ == "__main__":
    sys.exit(main())
