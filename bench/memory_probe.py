"""In-process memory probes for `python -m bench.memory`: bytes per cached link, bytes per buffered click.

Each probe runs in an interpreter of its own (``run_isolated``): memory the parent freed (2
million seeded records) would otherwise be reused by the probe's objects without growing its RSS.
Two figures per probe:

- traced: what tracemalloc counts, i.e. every Python allocation still alive (objects, dict
  tables, list arrays), exactly; for clicks with the lines that made them, for cached links with
  the responses' objects by type (a dict or tuple reused from CPython's free lists counts for the
  line that first allocated its block, which made the lines misleading there);
- RSS: the process's resident memory before and after, in a first pass without tracemalloc (whose
  own bookkeeping is resident too). It adds what the allocator holds around the objects.

Everything goes through the edge's own code on its real path: codes are resolved by
``Resolver.fetch`` from records in Redis (coalesced MGETs, ``_remember`` builds the responses), and
clicks are recorded by ``ClickTracker.track`` from ASGI scopes shaped like Granian's.
"""

from __future__ import annotations

import asyncio
import gc
import linecache
import multiprocessing
import os
import sys
import tracemalloc
from collections import Counter
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from common.client_ip import ClientIpResolver
from common.db import open_pool
from common.redis import create_redis, keys_for
from common.settings import Settings
from edge.clicks import ClickBuffer
from edge.resolver import Resolver
from edge.tracking import ClickTracker
from harness.processes import free_port
from harness.stores import StoreUrls, namespaced

T = TypeVar("T")
WARMUP_CODES = 100  # resolved, then dropped, before the baseline: the Redis connection and first-use allocations
FETCH_CHUNK = 1_000  # lookups awaited together: they coalesce into one MGET, as concurrent requests do
TOP_PARTS = 8
TYPE_SAMPLE = 1_000  # cached values whose objects are sorted by type
_PAGE = os.sysconf("SC_PAGE_SIZE")
_REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Part:
    """A share of what each entry (or click) holds: a source line's allocations, or a type's objects."""

    label: str
    bytes_per_item: float
    objects_per_item: float


@dataclass
class Figure:
    """Bytes per item once ``items`` are held."""

    label: str
    items: int
    traced_per_item: float = 0.0
    rss_per_item: float = 0.0
    parts: list[Part] = field(default_factory=list)


# --- running a probe in a fresh interpreter


def run_isolated(probe: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """``asyncio.run(probe(*args))`` in a new interpreter (spawned: nothing inherited from this one)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_run, probe, *args).result()


def _run(probe: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    return asyncio.run(probe(*args))


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def settled() -> None:
    # Collect twice: finalisers of the first collection may free more.
    gc.collect()
    gc.collect()


def traced_bytes() -> int:
    return tracemalloc.get_traced_memory()[0]


def top_lines(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, items: int) -> list[Part]:
    """The lines whose live allocations grew the most between the snapshots, per item. A dict or tuple
    taken from CPython's free lists counts for the line that first allocated its block."""
    parts: list[Part] = []
    for stat in after.compare_to(before, "lineno")[:TOP_PARTS]:
        frame = stat.traceback[0]
        path = Path(frame.filename)
        where = f"{path.relative_to(_REPO) if path.is_relative_to(_REPO) else path.name}:{frame.lineno}"
        code = linecache.getline(frame.filename, frame.lineno).strip()
        parts.append(Part(f"{where} `{code}`", stat.size_diff / items, stat.count_diff / items))
    return parts


def owned_by_type(values: list[object]) -> list[Part]:
    """Bytes per value, by type, of the objects each value holds alone: reached from it (through
    containers and the edge's own objects) and from no other value of ``values``, so that shared
    constants (the common headers, the field names) do not count."""
    reached: Counter[int] = Counter()
    objects: dict[int, object] = {}
    for value in values:
        for obj in _reachable(value):
            reached[id(obj)] += 1
            objects[id(obj)] = obj
    sizes: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for key, times in reached.items():
        if times == 1:
            kind = type(objects[key]).__name__
            sizes[kind] += sys.getsizeof(objects[key])
            counts[kind] += 1
    return [Part(kind, size / len(values), counts[kind] / len(values)) for kind, size in sizes.most_common()]


def _reachable(value: object) -> list[object]:
    seen: set[int] = set()
    found: list[object] = []
    stack = [value]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append(obj)
        # Into containers and the edge's objects; not into types, modules or functions.
        if isinstance(obj, dict | tuple | list) or type(obj).__module__.startswith("edge."):
            stack.extend(gc.get_referents(obj))
    return found


# --- bytes per cached link


def _fresh(code: str) -> str:
    # A request's code is a new string, parsed from its path; the cache keeps the first one as its key.
    return code.encode().decode()


async def _resolve(resolver: Resolver, codes: list[str]) -> None:
    for start in range(0, len(codes), FETCH_CHUNK):
        await asyncio.gather(*(resolver.fetch(_fresh(code)) for code in codes[start : start + FETCH_CHUNK]))


async def probe_cache(urls: StoreUrls, tag: str, codes: list[str], sizes: list[int]) -> list[Figure]:
    """Bytes per cache entry at each of ``sizes`` entries; ``codes`` (seeded) start with ``WARMUP_CODES``
    codes for the warm-up, then at least ``max(sizes)`` more."""
    settings = namespaced(urls, tag=tag)
    warmup, measured = codes[:WARMUP_CODES], codes[WARMUP_CODES:]
    assert len(measured) >= max(sizes) and max(sizes) <= settings.cache_max_entries
    redis = create_redis(settings)
    async with open_pool(settings, min_size=1, max_size=2) as pool:

        def resolver() -> Resolver:
            return Resolver(
                redis=redis,
                pool=pool,
                keys=keys_for(settings),
                cache_ttl=settings.cache_ttl,
                negative_ttl=settings.negative_ttl,
                max_entries=settings.cache_max_entries,
            )

        figures = [Figure("cached link", size) for size in sizes]
        await _fill_cache(resolver(), warmup, measured, figures, trace=False)
        await _fill_cache(resolver(), warmup, measured, figures, trace=True)
    await redis.aclose()
    return figures


async def _fill_cache(
    resolver: Resolver, warmup: list[str], codes: list[str], figures: list[Figure], *, trace: bool
) -> None:
    await _resolve(resolver, warmup)
    resolver.cache.clear()
    if trace:
        tracemalloc.start()
    settled()
    base_rss, base_traced = rss_bytes(), traced_bytes()
    done = 0
    for figure in figures:
        await _resolve(resolver, codes[done : figure.items])
        done = figure.items
        settled()
        assert len(resolver.cache) == figure.items
        _measure(figure, base_rss, base_traced, trace=trace)
    tracemalloc.stop()
    if trace:
        figures[-1].parts = _cache_parts(resolver, codes[:TYPE_SAMPLE], figures[-1].traced_per_item)
    resolver.cache.clear()


def _cache_parts(resolver: Resolver, codes: list[str], per_entry: float) -> list[Part]:
    """What a cached response holds, by type; the rest of an entry's bytes is the cache's own."""
    values: list[object] = [resolver.cache.get_stale(code) for code in codes]
    parts = owned_by_type(values)
    rest = per_entry - sum(part.bytes_per_item for part in parts)
    return [*parts, Part("the cache's own: the key, the (expiry, value) tuple and its float, a dict slot", rest, 0)]


# --- bytes per buffered click


@dataclass(frozen=True)
class Visitor:
    """What a request carries that a click keeps; ``proxied``: through a trusted proxy, with its
    X-Forwarded-For and country header (the production set-up)."""

    name: str
    user_agent: bytes
    referrer: bytes
    proxied: bool
    ipv6: bool = False


CHROME = (
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
VISITORS = {
    "bare": Visitor("bare (curl, no referrer, no proxy)", b"curl/8.5.0", b"", proxied=False),
    "browser": Visitor("browser behind the proxy", CHROME, b"https://www.google.com/", proxied=True),
    # The edge keeps 1,024 bytes of each header (edge/tracking.py): the most one click can hold.
    "largest": Visitor(
        "largest: 1 KiB agent and referrer, IPv6", b"M" * 2_000, b"https://r.example/" + b"x" * 2_000, True, True
    ),
}
PROXY = "127.0.0.1"
COUNTRY_HEADER = "CF-IPCountry"


def _address(visitor: Visitor, n: int) -> str:
    if visitor.ipv6:
        return f"2001:db8:{n >> 16 & 0xFFFF:x}:{n & 0xFFFF:x}:1a2b:3c4d:5e6f:{n % 9973:x}"
    return f"198.{n >> 16 & 0xFF}.{n >> 8 & 0xFF}.{n & 0xFF}"


def _scope(visitor: Visitor, n: int) -> dict[str, Any]:
    """A new scope per request, as Granian builds one: its strings are new, and a click keeps them."""
    headers = [(b"host", b"hop.example"), (b"accept", b"*/*"), (b"user-agent", visitor.user_agent)]
    if visitor.referrer:
        headers.append((b"referer", visitor.referrer))
    client = (_address(visitor, n), 40_000 + n % 20_000)
    if visitor.proxied:
        headers += [(b"x-forwarded-for", client[0].encode()), (b"cf-ipcountry", b"DE")]
        client = (PROXY, 50_000 + n % 10_000)
    return {"type": "http", "method": "GET", "path": "/c", "query_string": b"", "headers": headers, "client": client}


async def probe_clicks(
    urls: StoreUrls, tag: str, codes: list[str], kind: str, *, breakdown: bool = False
) -> list[Figure]:
    """Bytes per click in a full buffer (HOP_CLICK_BUFFER_MAX clicks) of ``kind``, as recorded, then
    after a flush that Redis refused (packed into batches kept for the retry); with ``breakdown``,
    the lines that allocated them (two tracemalloc snapshots of a million blocks: seconds)."""
    # Redis is away: nothing listens on that port, so the flush fails as an outage makes it fail.
    settings = namespaced(urls, tag=tag, redis_url=f"redis://127.0.0.1:{free_port()}/0", trusted_proxies=f"{PROXY}/32")
    figures = [
        Figure("buffered", settings.click_buffer_max),
        Figure("after a refused flush", settings.click_buffer_max),
    ]
    await _fill_buffer(settings, codes, VISITORS[kind], figures, trace=False)
    await _fill_buffer(settings, codes, VISITORS[kind], figures, trace=True, breakdown=breakdown)
    return figures


async def _fill_buffer(
    settings: Settings,
    codes: list[str],
    visitor: Visitor,
    figures: list[Figure],
    *,
    trace: bool,
    breakdown: bool = False,
) -> None:
    redis = create_redis(settings)
    buffer = ClickBuffer(
        redis=redis,
        keys=keys_for(settings),
        shards=settings.click_shards,
        flush_interval=settings.click_flush_interval,
        flush_size=settings.click_flush_size,
        limit=settings.click_buffer_max,
    )
    tracker = ClickTracker(buffer, client_ip=ClientIpResolver(settings.trusted_proxies), country_header=COUNTRY_HEADER)
    if trace:
        tracemalloc.start()
    settled()
    base_rss, base_traced = rss_bytes(), traced_bytes()
    before = tracemalloc.take_snapshot() if trace and breakdown else None
    limit = settings.click_buffer_max
    for n in range(limit + 1):  # one more than fits: it must be dropped
        tracker.track(_scope(visitor, n), _fresh(codes[n % len(codes)]))
    assert buffer.pending == limit and buffer.stats.dropped == 1
    _measure(figures[0], base_rss, base_traced, trace=trace)
    assert not await buffer.flush() and buffer.pending == limit
    _measure(figures[1], base_rss, base_traced, trace=trace)
    if before is not None:
        figures[1].parts = top_lines(before, tracemalloc.take_snapshot(), limit)
    tracemalloc.stop()
    await redis.aclose()


def _measure(figure: Figure, base_rss: int, base_traced: int, *, trace: bool) -> None:
    """Bytes per item since the baseline: traced while tracemalloc runs, else resident."""
    settled()
    if trace:
        figure.traced_per_item = (traced_bytes() - base_traced) / figure.items
    else:
        figure.rss_per_item = (rss_bytes() - base_rss) / figure.items
