"""The edge's Prometheus series, fed from the plain counters the hot path already keeps.

Requests never touch prometheus-client: the resolver, the click buffer and the responses count
with plain ints, and ``EdgeExporter`` (a background task per worker, see common/metrics.py)
hands the growth over every ``metrics_interval`` seconds and once more at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from common.metrics import DeltaExporter
from edge import responses
from edge.clicks import ClickBuffer
from edge.limits import ClickLimiter
from edge.orphans import OrphanVisits
from edge.ratelimit import NotFoundLimiter
from edge.resolver import Resolver

if TYPE_CHECKING:
    # For annotations only: edge_series imports prometheus-client when metrics are on (see common/metrics.py).
    from prometheus_client import Counter, Gauge

# Statuses the edge sends; a child per status exists from the start so a scrape shows zeros.
STATUSES = (200, 301, 302, 307, 308, 404, 429, 503)


@dataclass(frozen=True)
class EdgeSeries:
    responses: Counter  # labelled by status
    cache_hits: Counter
    cache_entries: Gauge
    redis_lookups: Counter
    redis_lookup_codes: Counter
    redis_errors: Counter
    read_through: Counter
    stale_served: Counter
    clicks_buffered: Counter
    clicks_flushed: Counter
    clicks_dropped: Counter
    click_xadds: Counter
    click_flush_errors: Counter
    clicks_pending: Gauge
    records_rejected: Counter  # labelled by reason
    complete_misses: Counter
    click_limit_claims: Counter
    click_limit_refused: Counter
    not_found_limited: Counter
    orphan_visits: Counter  # labelled by outcome


@cache
def edge_series() -> EdgeSeries:
    """Created once per process: in multiprocess mode two objects of one name would overwrite each other."""
    from prometheus_client import CollectorRegistry, Counter, Gauge

    registry = CollectorRegistry()  # not the global one: samples reach the scrape through the multiprocess files

    def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(name, doc, labels, registry=registry)

    def gauge(name: str, doc: str) -> Gauge:
        return Gauge(name, doc, registry=registry, multiprocess_mode="livesum")

    return EdgeSeries(
        responses=counter("hop_edge_responses", "Responses sent, by HTTP status.", ("status",)),
        cache_hits=counter("hop_edge_cache_hits", "Lookups answered by the process's local cache."),
        cache_entries=gauge("hop_edge_cache_entries", "Codes held in the edge processes' local caches."),
        redis_lookups=counter("hop_edge_redis_lookups", "Redis round trips (one MGET per batch of lookups)."),
        redis_lookup_codes=counter(
            "hop_edge_redis_lookup_codes", "Codes looked up in Redis; divided by round trips: the batch size."
        ),
        redis_errors=counter("hop_edge_redis_errors", "Redis lookups that failed (read through to Postgres)."),
        read_through=counter("hop_edge_read_through", "Codes read through to Postgres on a Redis miss."),
        stale_served=counter("hop_edge_stale_served", "Redirects served from a stale cache entry, stores down."),
        clicks_buffered=counter(
            "hop_edge_clicks_buffered", "Clicks put into the in-memory buffer (orphan visits included)."
        ),
        clicks_flushed=counter("hop_edge_clicks_flushed", "Clicks written to a Redis click stream."),
        clicks_dropped=counter("hop_edge_clicks_dropped", "Clicks lost: buffer full while Redis was down, or at exit."),
        click_xadds=counter("hop_edge_click_xadds", "XADDs (packed click batches) written."),
        click_flush_errors=counter("hop_edge_click_flush_errors", "Click flushes Redis refused (retried)."),
        clicks_pending=gauge("hop_edge_clicks_pending", "Clicks waiting in the edge buffers."),
        records_rejected=counter(
            "hop_edge_records_rejected",
            "Redis link records refused: malformed (read through instead) or unsafe (404).",
            ("reason",),
        ),
        complete_misses=counter(
            "hop_edge_complete_misses", "Codes absent from a Redis marked complete: 404 without asking Postgres."
        ),
        click_limit_claims=counter("hop_edge_click_limit_claims", "Uses of click-limited links claimed in Redis."),
        click_limit_refused=counter("hop_edge_click_limit_refused", "Redirects refused (404): click limit reached."),
        not_found_limited=counter("hop_edge_not_found_limited", "429s: a client past its budget of 404s."),
        orphan_visits=counter(
            "hop_edge_orphan_visits",
            "404s recorded as orphan visits, or skipped past HOP_EDGE_ORPHAN_VISITS_PER_SECOND.",
            ("outcome",),
        ),
    )


def edge_exporter(
    *,
    resolver: Resolver,
    clicks: ClickBuffer,
    limiter: ClickLimiter | None = None,
    not_found: NotFoundLimiter | None = None,
    orphans: OrphanVisits | None = None,
    enabled: bool = True,
) -> DeltaExporter:
    """The exporter for one edge process's counters; an empty one when metrics are off."""
    exporter = DeltaExporter()
    if not enabled:
        return exporter
    series = edge_series()
    for status in STATUSES:
        exporter.counter(_sent(status), series.responses.labels(status=str(status)))
    rs, cs = resolver.stats, clicks.stats
    exporter.counter(lambda: rs.cache_hits, series.cache_hits)
    exporter.counter(lambda: rs.batches, series.redis_lookups)
    exporter.counter(lambda: rs.batch_codes, series.redis_lookup_codes)
    exporter.counter(lambda: rs.redis_errors, series.redis_errors)
    exporter.counter(lambda: rs.read_through, series.read_through)
    exporter.counter(lambda: rs.stale_served, series.stale_served)
    exporter.counter(lambda: rs.rejected_malformed, series.records_rejected.labels(reason="malformed"))
    exporter.counter(lambda: rs.rejected_unsafe, series.records_rejected.labels(reason="unsafe"))
    exporter.counter(lambda: rs.complete_misses, series.complete_misses)
    exporter.counter(lambda: cs.buffered, series.clicks_buffered)
    exporter.counter(lambda: cs.flushed, series.clicks_flushed)
    exporter.counter(lambda: cs.dropped, series.clicks_dropped)
    exporter.counter(lambda: cs.xadds, series.click_xadds)
    exporter.counter(lambda: cs.flush_errors, series.click_flush_errors)
    exporter.gauge(lambda: len(resolver.cache), series.cache_entries)
    exporter.gauge(lambda: clicks.pending, series.clicks_pending)
    if limiter is not None:
        ls = limiter.stats
        exporter.counter(lambda: ls.claims, series.click_limit_claims)
        exporter.counter(lambda: ls.refused, series.click_limit_refused)
    if not_found is not None:
        exporter.counter(lambda: not_found.refused, series.not_found_limited)
    if orphans is not None:
        exporter.counter(lambda: orphans.recorded, series.orphan_visits.labels(outcome="recorded"))
        exporter.counter(lambda: orphans.skipped, series.orphan_visits.labels(outcome="skipped"))
    return exporter


def _sent(status: int) -> Callable[[], int]:
    sent = responses.SENT
    return lambda: sent.get(status, 0)  # get, not []: reading must not add a status to the dict
