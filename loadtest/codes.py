"""Zipf-distributed short codes for the redirect scenario, drawn like bench/lua/zipf.lua draws them."""

from __future__ import annotations

import bisect
import itertools
import random
from pathlib import Path


class ZipfCodes:
    """Codes ranked most popular first; ``draw`` picks rank k with probability ∝ 1/k^s."""

    def __init__(self, ranked: list[str], *, s: float, unknown_fraction: float, seed: int | None = None) -> None:
        if not ranked:
            raise ValueError("no codes to draw from")
        self._ranked = ranked
        self._cumulative = list(itertools.accumulate(1 / rank**s for rank in range(1, len(ranked) + 1)))
        self._total = self._cumulative[-1]
        self._unknown_fraction = unknown_fraction
        self._rng = random.Random(seed)

    @classmethod
    def from_file(cls, path: Path, *, s: float, unknown_fraction: float) -> ZipfCodes:
        return cls(path.read_text().split(), s=s, unknown_fraction=unknown_fraction)

    def draw(self) -> tuple[str, bool]:
        """A code, and whether it is a seeded (known) one."""
        rng = self._rng
        if rng.random() < self._unknown_fraction:
            # '-' never appears in seeded codes: this one is unknown, and new, like a guessing flood.
            return "-" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=7)), False
        index = bisect.bisect_left(self._cumulative, rng.random() * self._total)
        return self._ranked[min(index, len(self._ranked) - 1)], True
