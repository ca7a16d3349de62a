"""Running the load generators and reading their results.

Closed loop: wrk with lua/zipf.lua, whose done() prints one JSON line. Open loop: h2load --h1 at
a fixed request rate per connection, with a per-request log from which the percentiles are
computed here (h2load itself prints only min/mean/max).
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson

LUA_SCRIPT = Path(__file__).with_name("lua") / "zipf.lua"
JSON_MARKER = "BENCH_JSON "


@dataclass
class LoadResult:
    """One run against one target; latencies in milliseconds."""

    requests: int
    seconds: float
    statuses: dict[int, int]
    errors: int
    p50: float
    p90: float
    p99: float
    p999: float
    max: float
    target_rate: int | None = None
    server_cpu_s: float | None = None  # CPU the server's processes used during the run (closed loop only)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_request(self) -> float | None:
        return self.server_cpu_s / self.requests * 1e6 if self.server_cpu_s and self.requests else None

    @property
    def redirects(self) -> int:
        return sum(count for status, count in self.statuses.items() if 300 <= status < 400)

    @property
    def unexpected(self) -> int:
        """Transport errors plus any status other than a redirect or the 404 of an unknown code."""
        odd = sum(count for status, count in self.statuses.items() if not (300 <= status < 400 or status == 404))
        return self.errors + odd


@dataclass(frozen=True)
class Workload:
    """The traffic: codes most popular first, unknown codes, Zipf exponent, share of unknown codes."""

    codes_file: Path
    unknown_file: Path
    zipf_s: float
    unknown_fraction: float


def run_wrk(wrk: str, url: str, workload: Workload, *, seconds: float, connections: int, threads: int) -> LoadResult:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        str(workload.codes_file),
        str(workload.unknown_file),
        str(workload.zipf_s),
        str(workload.unknown_fraction),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next((line for line in output.splitlines() if line.startswith(JSON_MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    data = orjson.loads(line[len(JSON_MARKER) :])
    latency = data["latency_us"]
    transport_errors = sum(count for kind, count in data["errors"].items() if kind != "status")
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        statuses={int(status): count for status, count in data["statuses"].items()},
        errors=transport_errors,
        p50=latency["p50"] / 1000,
        p90=latency["p90"] / 1000,
        p99=latency["p99"] / 1000,
        p999=latency["p999"] / 1000,
        max=latency["max"] / 1000,
    )


def write_urls(path: Path, base_url: str, paths: list[str]) -> Path:
    path.write_text("".join(f"{base_url}{p}\n" for p in paths))
    return path


def run_h2load(h2load: str, url_files: list[Path], *, rate: int, seconds: float, connections: int) -> LoadResult:
    """``rate`` requests/s in total, spread over ``connections`` each sending on its own fixed schedule.

    Many connections keep each one's interval long (128 connections at 10,000/s: 12.8 ms), so a
    slow response rarely delays the next scheduled request, and an achieved rate below the
    target shows when the server could not keep up (what a closed loop hides). Connections are
    opened a few per millisecond across one interval: opened all at once, their timers fire in
    step and every interval starts with a burst of ``connections`` requests, which measures the
    burst, not the server.

    Every h2load connection walks the URL list from its start, so one process would send the
    same few hundred codes over and over: one process per URL file, each file a different
    slice of the Zipf draws, spreads the keys like the closed-loop run does.
    """
    processes = len(url_files)
    per_process = max(1, connections // processes)
    per_connection = max(1, math.ceil(rate / (per_process * processes)))
    interval_ms = 1000 / per_connection
    opened_per_ms = max(1, math.ceil(per_process / interval_ms))
    requests = round(per_connection * per_process * seconds)
    with tempfile.TemporaryDirectory(prefix="hop-h2load-") as tmp:
        runs = []
        for index, urls in enumerate(url_files):
            log = Path(tmp) / f"requests-{index}.log"
            command = [
                h2load,
                "--h1",
                "-c",
                str(per_process),
                "--rps",
                str(per_connection),
                "-n",
                str(requests),
                "-r",
                str(opened_per_ms),
                "--rate-period",
                "1ms",
                "-H",
                "User-Agent: Mozilla/5.0 (X11; Linux x86_64) bench/h2load",
                "-H",
                "Referer: https://news.example.org/",
                "--log-file",
                str(log),
                "-i",
                str(urls),
            ]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            runs.append((process, log))
        outputs = [process.communicate(timeout=seconds * 3 + 60)[0] for process, _ in runs]
        return _parse_h2load_logs(
            [log for _, log in runs], outputs, rate=per_connection * per_process * processes, seconds=seconds
        )


def _parse_h2load_logs(logs: list[Path], outputs: list[str], *, rate: int, seconds: float) -> LoadResult:
    # Each line: request start (µs since the epoch), status, elapsed (µs). Requests h2load started
    # but never logged with a status (reset, timed out, refused) are the errors.
    starts, elapsed = [], []
    statuses: dict[int, int] = {}
    for log in logs:
        for line in log.read_text().splitlines():
            start_us, status_text, took_us = line.split("\t")[:3]
            status = int(status_text)
            if status <= 0:
                continue
            statuses[status] = statuses.get(status, 0) + 1
            starts.append(int(start_us))
            elapsed.append(int(took_us))
    total = sum(_h2load_count(output, "total") for output in outputs)
    elapsed.sort()
    span = (max(starts) - min(starts)) / 1e6 if len(starts) > 1 else seconds
    return LoadResult(
        requests=len(elapsed),
        seconds=span or seconds,
        statuses=statuses,
        errors=max(0, total - len(elapsed)),
        p50=_percentile(elapsed, 50) / 1000,
        p90=_percentile(elapsed, 90) / 1000,
        p99=_percentile(elapsed, 99) / 1000,
        p999=_percentile(elapsed, 99.9) / 1000,
        max=(elapsed[-1] if elapsed else 0) / 1000,
        target_rate=rate,
    )


def _h2load_count(output: str, word: str) -> int:
    # "requests: 50000 total, 50000 started, 50000 done, 50000 succeeded, 0 failed, 0 errored, 0 timeout"
    for line in output.splitlines():
        if line.startswith("requests:"):
            for part in line.split(":", 1)[1].split(","):
                count, _, name = part.strip().partition(" ")
                if name == word:
                    return int(count)
    return 0


def _percentile(ordered: list[int], pct: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
    return float(ordered[index])
