"""The traffic every target gets: Zipf-distributed codes (s≈1.1) over the seeded links, plus unknown codes."""

from __future__ import annotations

import bisect
import itertools
import random
from pathlib import Path

from bench.loadgen import Workload


def write_workload(
    directory: Path, codes: list[str], unknown: list[str], *, zipf_s: float, unknown_fraction: float, seed: int = 11
) -> Workload:
    """Files for wrk's Lua script: codes most popular first (a shuffled order, not the sorted one)."""
    ranked = list(codes)
    random.Random(seed).shuffle(ranked)
    codes_file = directory / "codes-by-rank.txt"
    codes_file.write_text("\n".join(ranked) + "\n")
    unknown_file = directory / "unknown-codes.txt"
    unknown_file.write_text("\n".join(unknown) + "\n")
    return Workload(codes_file, unknown_file, zipf_s, unknown_fraction)


def draw_paths(workload: Workload, count: int, *, seed: int = 12) -> list[str]:
    """``count`` request paths drawn like lua/zipf.lua draws them, for h2load's URL list."""
    ranked = workload.codes_file.read_text().split()
    unknown = workload.unknown_file.read_text().split()
    cumulative = list(itertools.accumulate(1 / rank**workload.zipf_s for rank in range(1, len(ranked) + 1)))
    total = cumulative[-1]
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        if rng.random() < workload.unknown_fraction:
            paths.append("/" + rng.choice(unknown))
        else:
            paths.append("/" + ranked[min(len(ranked) - 1, bisect.bisect_left(cumulative, rng.random() * total))])
    return paths
