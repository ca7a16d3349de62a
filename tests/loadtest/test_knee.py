"""The knee search's decisions and verdicts, on made-up stages: no Locust, no processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest import knee
from loadtest.run import parse_args
from loadtest.stages import StageResult, stage_run, stats_row
from loadtest.thresholds import LAG_NAME, REDIRECT_NAME

SEARCH = knee.Search(start_per_s=200, max_stages=10)


def stage(
    offered: float,
    *,
    p99: float | None = 2,
    lag: float | None = 0,
    achieved: float | None = None,
    failures: int = 0,
    locust_cpu: float = 0.3,
    edge_cpu: float = 0.3,
    machine_busy: float = 0.5,
    others: float = 0.1,
    warned: bool = False,
) -> StageResult:
    return StageResult(
        offered_per_s=offered,
        achieved_per_s=offered if achieved is None else achieved,
        requests=int(offered * 15),
        failures=failures,
        p99_ms=p99,
        lag_p99_ms=lag,
        locust_cpu=locust_cpu,
        edge_cpu=edge_cpu,
        machine_busy=machine_busy,
        others_busy=others,
        locust_warned=warned,
    )


def test_the_search_starts_at_the_promised_rate_and_doubles_while_stages_hold() -> None:
    assert knee.next_rate([], SEARCH) == 200
    assert knee.next_rate([stage(200), stage(400)], SEARCH) == 800


def test_a_miss_runs_once_more_and_then_it_bisects_between_the_highest_hold_and_the_lowest_miss() -> None:
    stages = [stage(200), stage(400), stage(800, p99=7)]
    assert knee.next_rate(stages, SEARCH) == 800
    stages.append(stage(800, p99=6))
    assert knee.next_rate(stages, SEARCH) == 600
    assert knee.next_rate([*stages, stage(600)], SEARCH) == 700
    assert knee.next_rate([*stages, stage(600, p99=5), stage(600, p99=5)], SEARCH) == 500


def test_a_rate_holds_when_either_of_its_runs_held() -> None:
    holds, above = knee.bracket([stage(200), stage(400, p99=9), stage(400), stage(800, p99=7)], SEARCH)
    assert holds is not None and holds.offered_per_s == 400 and holds.p99_ms == 2
    assert above is not None and above.offered_per_s == 800


def test_a_clear_miss_on_a_quiet_machine_is_not_run_again() -> None:
    assert knee.next_rate([stage(200), stage(400, p99=10)], SEARCH) == 300
    assert knee.next_rate([stage(200), stage(400, p99=10, others=0.5)], SEARCH) == 400
    assert knee.next_rate([stage(200), stage(400, p99=10, failures=1)], SEARCH) == 400


def test_it_stops_once_the_bracket_is_fine_or_the_budget_is_spent() -> None:
    assert knee.next_rate([stage(200), stage(400), stage(430, p99=6), stage(430, p99=6)], SEARCH) is None
    spent = [stage(200 * 2**n) for n in range(SEARCH.max_stages)]
    assert knee.next_rate(spent, SEARCH) is None


def test_a_miss_at_the_start_bisects_downwards() -> None:
    missed = [stage(200, p99=9), stage(200, p99=8)]
    assert knee.next_rate(missed, SEARCH) == 100
    assert knee.next_rate([*missed, stage(100)], SEARCH) == 150


def test_a_hold_above_a_miss_is_noise_and_the_knee_stays_under_the_miss() -> None:
    holds, above = knee.bracket([stage(200), stage(400, p99=6), stage(300), stage(800), stage(400, p99=7)], SEARCH)
    assert holds is not None and holds.offered_per_s == 300
    assert above is not None and above.offered_per_s == 400


@pytest.mark.parametrize(
    ("measured", "why"),
    [
        (stage(400, achieved=300), "Locust sent 300/s of 400/s offered"),
        (stage(400, failures=3), "3 failed redirects"),
        (stage(400, p99=5), "p99 5 ms (limit: under 5 ms)"),
        (stage(400, p99=None), "p99 n/a (limit: under 5 ms)"),
        (stage(400, p99=4, achieved=390), None),
    ],
)
def test_a_stage_holds_with_p99_under_5_ms_no_failures_and_the_offered_rate_sent(
    measured: StageResult, why: str | None
) -> None:
    assert knee.miss(measured, SEARCH) == why


@pytest.mark.parametrize(
    ("measured", "limit"),
    [
        (stage(400, achieved=300), "the load generator"),
        (stage(400, p99=9, locust_cpu=0.95), "the load generator"),
        (stage(400, p99=9, warned=True), "the load generator"),
        (
            stage(400, p99=7, lag=3),
            "the load generator's own delay (Locust at 30% of a core per process, its loop p99 3",
        ),
        (stage(400, p99=7, lag=3, others=0.4), "other work on the shared machine"),
        (stage(400, p99=44, lag=14, machine_busy=0.75), "the load generator's own delay"),
        (stage(400, p99=5, lag=1, machine_busy=0.3), "the edge's latency"),  # an idle loop's lag, rounded up
        (stage(400, p99=7, lag=None, machine_busy=0.3), "the edge's latency"),
        (stage(400, p99=9, edge_cpu=0.97), "the edge (its worker at 97% of a core)"),
        (stage(400, p99=9, machine_busy=0.6), "contention for the shared cores (Locust at 30% of a core"),
        (stage(400, p99=9, machine_busy=0.99, others=0.6), "other work on the shared machine (cores 99% busy, 60%"),
        (stage(400, p99=9, machine_busy=0.3), "the edge's latency"),
    ],
)
def test_the_limit_names_who_was_busy_at_the_first_miss(measured: StageResult, limit: str) -> None:
    assert knee.limit(measured, SEARCH).startswith(limit)


def test_the_report_gives_the_knee_in_requests_per_minute_next_to_the_promise() -> None:
    missed = stage(800, achieved=700, locust_cpu=0.98)
    lines = knee.report([stage(200), stage(400), missed, missed, stage(600, p99=4)], SEARCH)
    assert lines[4].endswith("Locust sent 700/s of 800/s offered") and lines[5].endswith("(run again)")
    line = lines[-1]
    assert line.startswith("knee: 36,000 redirects/min (36,000 offered) at p99 4 ms, 3.6x the 10,000 RPM promised")
    assert "limited by the load generator (Locust at 98% of a core per process, its loop p99 0 ms late)" in line
    assert line.endswith("at 48,000/min: Locust sent 700/s of 800/s offered")


def test_without_a_miss_the_knee_is_a_lower_bound() -> None:
    line = knee.knee_line([stage(200), stage(400)], SEARCH)
    assert line.endswith("a lower bound: the stage budget ran out before a rate missed")
    assert knee.knee_line([stage(200, p99=6), stage(200, p99=6)], SEARCH).startswith("knee: none found")


def test_find_knee_runs_the_stages_next_rate_asks_for() -> None:
    # An edge that holds up to 1,000/s, and one noisy run at 400/s: doubling to 1,600 misses twice,
    # bisection closes in within the budget.
    offered: list[float] = []

    def measure(rate: float) -> StageResult:
        offered.append(rate)
        noise = 5 if offered == [200, 400] else 0
        return stage(rate, p99=2 + noise if rate <= 1000 else 8)

    stages = knee.find_knee(measure, SEARCH)
    assert offered == [200, 400, 400, 800, 1600, 1600, 1200, 1200, 1000, 1100]
    holds, above = knee.bracket(stages, SEARCH)
    assert holds is not None and holds.offered_per_s == 1000
    assert above is not None and above.offered_per_s == 1100


def test_a_stage_adds_users_at_the_fixed_runs_rate_each_and_sends_redirects_only() -> None:
    run = stage_run(1_010, seconds=15, processes=2)
    assert run.redirect_users == 51 and run.redirect_users * run.redirect_rps == pytest.approx(1_010)
    assert run.admin_users == 0 and run.processes == 2
    assert (run.p95_ms, run.p99_ms, run.min_per_minute) == (0, 0, 0)


def test_stats_row_reads_locusts_stats_csv(tmp_path: Path) -> None:
    stats = tmp_path / "stage_stats.csv"
    stats.write_text(
        "Type,Name,Request Count,Failure Count,Requests/s,99%\n"
        "GET,GET /{code},3000,0,199.8,3\n"
        "LOOP,event loop lag,1500,0,100,1\n"
        ",Aggregated,4500,0,299.8,3\n"
    )
    assert stats_row(stats, REDIRECT_NAME)["99%"] == "3"
    assert stats_row(stats, LAG_NAME)["Request Count"] == "1500"
    stats.write_text("Type,Name,Request Count,Failure Count,Requests/s,99%\n,Aggregated,0,0,0,N/A\n")
    assert stats_row(stats, REDIRECT_NAME)["Request Count"] == "0"


def test_the_smoke_run_and_no_knee_skip_the_search() -> None:
    assert parse_args(["--smoke"]).search is None
    assert parse_args(["--no-knee"]).search is None
    plan = parse_args([])
    assert plan.run is not None and plan.run.min_per_minute == 10_000 and plan.search is not None
    assert parse_args(["--knee-only"]).run is None
