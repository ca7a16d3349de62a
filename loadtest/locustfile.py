"""Hop under load: visitors following short links, and people managing links in the admin API.

Run through loadtest/run.py (`make loadtest`), which starts the edge (and the admin API when
it exists), seeds links, and passes --codes-file, --admin-host and the thresholds.

- RedirectUser: GET /{code} on the edge with codes drawn from a Zipf distribution over the
  seeded links, 1% unknown codes (404). Redirects are never followed: traffic stays on the edge.
- AdminUser: registers, logs in, then creates links, lists them and reads their analytics.

At the end the thresholds (loadtest/thresholds.py) set Locust's exit code. With --loop-lag (the
knee search's stages) each Locust process also times its own event loop's lag, as "event loop lag";
with --warmup-s the statistics start that many seconds after the users, when connecting is over.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import MasterRunner
from locust.stats import RequestStats

from loadtest.codes import ZipfCodes
from loadtest.pacing import poisson_pacing
from loadtest.thresholds import LAG_NAME, REDIRECT_NAME, Thresholds, check

logger = logging.getLogger("hop.loadtest")
API = "/api/v1"
PASSWORD = "Load-Test-Passphrase-2026!"  # long enough for any sane password policy
LAG_PROBE_S = 0.01
MASTER_RESET_LAG_S = 0.5  # a master resets after its workers: a report of warm-up requests on its way goes too


@events.init_command_line_parser.add_listener
def _options(parser: LocustArgumentParser) -> None:
    parser.add_argument(
        "--codes-file", default=os.environ.get("HOP_LOADTEST_CODES", ""), help="codes, most popular first"
    )
    parser.add_argument("--zipf-s", type=float, default=1.1)
    parser.add_argument("--unknown-fraction", type=float, default=0.01)
    parser.add_argument("--redirect-rps", type=float, default=20.0, help="requests/s each RedirectUser sends")
    parser.add_argument("--admin-host", default="", help="admin API base URL; empty: no admin traffic")
    parser.add_argument("--admin-users", type=int, default=3, help="AdminUsers; the other users redirect")
    parser.add_argument("--p95-ms", type=float, default=5.0, help="redirect p95 must be under this; 0: no check")
    parser.add_argument("--p99-ms", type=float, default=10.0, help="redirect p99 must be under this; 0: no check")
    parser.add_argument("--min-per-minute", type=float, default=10_000, help="redirects/min at least; 0: no check")
    parser.add_argument("--max-failures", type=int, default=0)
    parser.add_argument("--loop-lag", action="store_true", help=f"also time Locust's own loop, as {LAG_NAME!r}")
    parser.add_argument("--warmup-s", type=float, default=0.0, help="statistics start after this many seconds")


class RedirectUser(FastHttpUser):
    """A visitor clicking short links, at a fixed rate per user (the run sets how many users)."""

    weight = 20
    codes: ZipfCodes | None = None
    wait_time = poisson_pacing(20.0)  # replaced by --redirect-rps

    @task
    def follow(self) -> None:
        assert self.codes is not None
        code, known = self.codes.draw()
        # One name for every code, so Locust aggregates them into the figure the thresholds read.
        with self.client.get(f"/{code}", name=REDIRECT_NAME, allow_redirects=False, catch_response=True) as response:
            if known and response.status_code not in (301, 302, 307, 308):
                response.failure(f"known code {code} answered {response.status_code}")
            elif not known and response.status_code != 404:
                response.failure(f"unknown code {code} answered {response.status_code}")
            else:
                response.success()


class AdminUser(FastHttpUser):
    """Someone managing their links: mostly lists and analytics, now and then a new link."""

    weight = 1
    wait_time = between(0.5, 2.0)
    has_analytics = True
    admin_url = ""  # Locust gives every user class the --host (the edge); this one talks to the admin API

    def on_start(self) -> None:
        self.client.base_url = self.admin_url
        self.codes: list[str] = []
        self.auth: dict[str, str] = {}
        self.email = f"load-{uuid.uuid4().hex[:12]}@loadtest.hop-example.org"
        self.client.post(f"{API}/auth/register", json={"email": self.email, "password": PASSWORD}, name="register")
        self.login()

    def login(self) -> None:
        with self.client.post(
            f"{API}/auth/login", json={"email": self.email, "password": PASSWORD}, name="login", catch_response=True
        ) as response:
            token = response.json().get("access_token") if response.status_code == 200 else None
            if not token:
                response.failure(f"login answered {response.status_code}")
                return
        self.auth = {"Authorization": f"Bearer {token}"}

    def logged_in(self) -> bool:
        # Without a token every request would only add 401s to the failures: log in again first.
        if not self.auth:
            self.login()
        return bool(self.auth)

    @task(2)
    def create_link(self) -> None:
        if not self.logged_in():
            return
        body = {"target_url": f"https://example.com/loadtest/{uuid.uuid4().hex}"}
        with self.client.post(
            f"{API}/links", json=body, headers=self.auth, name="create link", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"create answered {response.status_code}")
                return
            self.codes.append(response.json()["code"])

    @task(5)
    def list_links(self) -> None:
        if not self.logged_in():
            return
        self.client.get(f"{API}/links?limit=20", headers=self.auth, name="list links")

    @task(3)
    def analytics(self) -> None:
        if not self.logged_in():
            return
        if not self.codes or not self.has_analytics:
            return
        code = self.codes[len(self.codes) // 2]
        self.client.get(f"{API}/links/{code}/analytics", headers=self.auth, name="link analytics")

    @task(1)
    def login_again(self) -> None:
        self.login()


@events.init.add_listener
def _configure(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return
    if not options.codes_file:
        raise SystemExit("loadtest: --codes-file is required (loadtest/run.py passes it)")
    RedirectUser.codes = ZipfCodes.from_file(
        Path(options.codes_file), s=options.zipf_s, unknown_fraction=options.unknown_fraction
    )
    RedirectUser.wait_time = poisson_pacing(options.redirect_rps)
    # The runner names the user classes on the command line: AdminUser only when an admin API runs.
    if options.admin_host:
        AdminUser.admin_url = options.admin_host
        AdminUser.fixed_count = options.admin_users  # spawned first, exactly this many
        AdminUser.has_analytics = _has_analytics(options.admin_host)


def _has_analytics(admin_host: str) -> bool:
    # The analytics API is newer than the rest; until it exists the scenario says so and skips it.
    import urllib.request

    import orjson

    with urllib.request.urlopen(f"{admin_host}/openapi.json", timeout=10) as response:
        paths = orjson.loads(response.read()).get("paths", {})
    present = f"{API}/links/{{code}}/analytics" in paths
    if not present:
        logger.warning("the admin API has no %s/links/{code}/analytics yet: analytics requests skipped", API)
    return present


@events.quitting.add_listener
def _thresholds(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is None or environment.stats is None:
        return
    thresholds = Thresholds(
        p95_ms=options.p95_ms or None,
        p99_ms=options.p99_ms or None,
        min_per_minute=options.min_per_minute or None,
        max_failures=options.max_failures,
    )
    problems = check(environment.stats, thresholds)
    for problem in problems:
        logger.error("threshold broken: %s", problem)
    if problems:
        environment.process_exit_code = 1
    else:
        logger.info("all thresholds met")


_lag_probes: list[Any] = []  # this process's probe greenlet while a test runs


@events.test_start.add_listener
def _start_lag_probe(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    # The master (with --processes) sends no requests: only the processes that do are probed.
    if options is None or not options.loop_lag or environment.runner is None:
        return
    if isinstance(environment.runner, MasterRunner):
        return
    _lag_probes.append(environment.runner.greenlet.spawn(_probe_lag, environment.runner.stats))


def _probe_lag(stats: RequestStats) -> None:
    """How late a 10 ms sleep wakes: a response waits as long before Locust reads its clock.

    A redirect's time as Locust measures it includes that wait, so the knee search can tell the
    load generator's delay from the edge's. Logged as a request, the lag gets Locust's percentiles.
    """
    while True:
        start = time.perf_counter()
        time.sleep(LAG_PROBE_S)  # gevent's sleep: locust patched the standard library
        late_ms = (time.perf_counter() - start - LAG_PROBE_S) * 1000
        stats.log_request("LOOP", LAG_NAME, round(late_ms), 0)


@events.test_stop.add_listener
def _stop_lag_probe(**_: Any) -> None:
    while _lag_probes:
        _lag_probes.pop().kill(block=False)


@events.test_start.add_listener
def _schedule_warmup_reset(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is None or not options.warmup_s or environment.runner is None:
        return
    # The first seconds hold every user's new connection and both Locust processes warming up: one
    # stage's p99 measured from its start moved by 10 ms with them, and they are no redirect rate.
    master = isinstance(environment.runner, MasterRunner)
    delay = options.warmup_s + (MASTER_RESET_LAG_S if master else 0.0)
    environment.runner.greenlet.spawn(_reset_after, environment.runner.stats, delay)


def _reset_after(stats: RequestStats, seconds: float) -> None:
    time.sleep(seconds)  # gevent's sleep: locust patched the standard library
    stats.reset_all()
