"""`make loadtest`: seed links, start the edge (and admin API), run Locust headless, judge the thresholds.

    python -m loadtest.run            # 60 s at 12,000 redirects/min: p95 < 5 ms, p99 < 10 ms, no failures
    python -m loadtest.run --smoke    # 15 s, failures only: what `make test` runs so this cannot rot

The HTML report goes to loadtest/reports/. The exit code is Locust's: 0 only
when every threshold is met.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from harness.stores import drop_namespace, namespaced, stores_for
from loadtest.locust_cli import Run, run_locust
from loadtest.stack import start_stack

REPORT_DIR = Path(__file__).with_name("reports")
SMOKE = Run(seconds=15, redirect_users=4, redirect_rps=10, admin_users=2, p95_ms=0, p99_ms=0, min_per_minute=0)


def parse_args(argv: list[str] | None) -> tuple[Run, int, bool]:
    parser = argparse.ArgumentParser(prog="python -m loadtest.run", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="short run, failures only")
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--redirect-users", type=int)
    parser.add_argument("--redirect-rps", type=float, help="per redirect user")
    parser.add_argument("--admin-users", type=int)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--no-admin", action="store_true")
    args = parser.parse_args(argv)
    run = SMOKE if args.smoke else Run()
    changes = {
        name: getattr(args, name)
        for name in ("seconds", "redirect_users", "redirect_rps", "admin_users")
        if getattr(args, name) is not None
    }
    return replace(run, **changes), args.links, not args.no_admin


def main(argv: list[str] | None = None) -> int:
    run, links, with_admin = parse_args(argv)
    with stores_for("HOP_LOADTEST", Path(tempfile.mkdtemp(prefix="hop-loadtest-stores-"))) as urls:
        # All load comes from one address: the edge's per-address 404 budget would answer it 429.
        settings = namespaced(urls, tag="loadtest", environment="test", edge_not_found_rate=0)
        with tempfile.TemporaryDirectory(prefix="hop-loadtest-") as tmp:
            stack = start_stack(settings, links=links, log_dir=Path(tmp), with_admin=with_admin)
            try:
                admin = stack.admin.url if stack.admin else "not started (--no-admin)"
                print(f"loadtest: edge {stack.edge.url}, admin {admin}, {links:,} links, {run}", flush=True)
                result = run_locust(stack, run, report_dir=REPORT_DIR, stem="smoke" if run is SMOKE else "locust")
            finally:
                stack.stop()
                asyncio.run(drop_namespace(settings))
        sys.stdout.write(result.stdout)
        sys.stdout.write(result.stderr)
        print(f"loadtest: report in {REPORT_DIR}; exit code {result.returncode}", flush=True)
        return result.returncode


if __name__ == "__main__":
    sys.exit(main())
