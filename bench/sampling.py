"""Something about a running server, sampled at a steady pace on a thread of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, Self, TypeVar

T = TypeVar("T")


class Sampler(Generic[T]):
    """Calls ``take`` every ``every`` seconds from entering the ``with`` block until leaving it, and
    keeps what it returns in ``samples``. Ticks stay on a grid from ``started``: a slow sample
    delays one tick, not every later one."""

    def __init__(self, take: Callable[[], T], every: float) -> None:
        self.samples: list[T] = []
        self.started = 0.0  # time.monotonic() on entering
        self._take = take
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append(self._take())
            if self._stop.wait(self._every - (time.monotonic() - self.started) % self._every):
                return
