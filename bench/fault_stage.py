"""What a fault run stands on: its stores and processes, its traffic, and the count once drained.

``Stage`` is one run's namespace, its own Valkey or Postgres proxy when the fault needs one, and
the edge and worker processes it started; leaving it stops them all and drops the namespace.
``Load`` sends GETs for seeded codes at a fixed rate with a bounded number in flight, to whichever
edge ``target`` names at that moment (a restarted edge listens on a new port). ``wait_for_drain``
then waits for an event, not for a fixed time: every click stream applied up to its last entry
(the worker's cursors in Postgres at or past it), and reads what Postgres counted.

The client is httpx2, the httpx fork Starlette's TestClient already brings in: httpx 0.28's
httpcore tries ``import sniffio`` again on every request when sniffio is absent (anyio 4.16 no
longer installs it), about 4 ms of CPU per request here, so 500 requests/s would need both cores.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

import asyncpg
import httpx2 as httpx

from common.db import connect_kwargs
from common.redis import RedisClient, create_redis, keys_for
from common.settings import Settings
from harness.cluster import LocalCluster
from harness.pgproxy import PostgresProxy
from harness.processes import Process, free_port, start_edge, start_worker
from harness.stores import PrivateRedis, StoreUrls, drop_namespace, namespaced, run_sync

REQUEST_TIMEOUT_S = 10.0  # generous: a request the edge answers late must not count as failed and still click
WARM_UP_IN_FLIGHT = 20
# A Hop edge that has just logged it is ready sometimes refuses new connections for about a second
# (seen here: 20 concurrent connects at a time, all refused for ~1.2 s from 0.1-0.3 s after
# start-up; not seen with bench/ceilings' dict app on the same Granian options), so the load
# starts only once fresh connections have been served for a while.
PROBE_CONNECTIONS = 10
PROBE_EVERY_S = 0.05
SERVING_STREAK_S = 1.5
SERVING_DEADLINE_S = 20.0
DRAIN_POLL_S = 0.2
DRAIN_DEADLINE_S = 90.0
# A count that stopped moving this long means the worker is stuck, not slow: its retries back off
# to at most 5 s (worker.worker.RETRY_MAX_S), so two of them fit in this window.
DRAIN_SETTLED_S = 12.0

RedisKind = Literal["shared", "durable", "ephemeral", "cluster"]
CLUSTER_PRIMARIES = 3


class Stage:
    """One run's world, set up on entering and taken down on leaving (also when the run fails).

    ``redis``: the shared stores' Redis under the run's key prefix, or a Valkey of the run's own
    (durable: with the append-only file) for the faults that kill, pause or flush it, or a Redis
    Cluster of the run's own (3 primaries with a replica each) for the faults that move it. ``proxy``:
    the worker reaches Postgres through a proxy the fault can cut.
    """

    def __init__(self, urls: StoreUrls, work: Path, *, redis: RedisKind, proxy: bool) -> None:
        self.urls = urls
        self.work = work
        self.redis = (
            PrivateRedis(work / "valkey", free_port(), durable=redis == "durable")
            if redis in ("durable", "ephemeral")
            else None
        )
        self.redis_cluster = (
            LocalCluster(work / "cluster", masters=CLUSTER_PRIMARIES, replicas_per_master=1)
            if redis == "cluster"
            else None
        )
        self.proxy: PostgresProxy | None = None
        self._proxied = proxy
        own = self.redis or self.redis_cluster
        self.settings = namespaced(
            urls,
            redis_url=urls.redis_url if own is None else own.url,
            redis_cluster=self.redis_cluster is not None,
            edge_metrics_port=0,
            worker_metrics_port=0,
        )
        self.processes: list[Process] = []
        self._cleanup = ExitStack()

    def __enter__(self) -> Stage:
        self.work.mkdir(parents=True, exist_ok=True)
        try:
            self._open()
        except BaseException:
            self._cleanup.close()
            raise
        return self

    def _open(self) -> None:
        # Registered first, so it runs last: on the shared stores, as the run's own Redis is gone by then.
        shared = self.urls._asdict() | {"redis_cluster": False}
        self._cleanup.callback(lambda: run_sync(drop_namespace(self.settings.model_copy(update=shared))))
        if self.redis is not None:
            self._cleanup.callback(shutil.rmtree, self.redis.data_dir, ignore_errors=True)
            self._cleanup.callback(self.redis.stop)
            self.redis.start()
        if self.redis_cluster is not None:
            self._cleanup.callback(shutil.rmtree, self.work / "cluster", ignore_errors=True)
            self._cleanup.callback(self.redis_cluster.stop)
            self.redis_cluster.start()
        if self._proxied:
            assert self.settings.database_url is not None
            self.proxy = PostgresProxy(self.settings.database_url)
            self._cleanup.callback(self.proxy.stop)
            self.proxy.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._cleanup.close()

    @property
    def edge(self) -> Process:
        return self._latest("edge")

    @property
    def worker(self) -> Process:
        return self._latest("worker")

    @property
    def private_redis(self) -> PrivateRedis:
        if self.redis is None:
            raise RuntimeError("this run has no Redis of its own")
        return self.redis

    @property
    def cluster(self) -> LocalCluster:
        if self.redis_cluster is None:
            raise RuntimeError("this run has no Redis Cluster of its own")
        return self.redis_cluster

    def _latest(self, name: str) -> Process:
        return [process for process in self.processes if process.name == name][-1]

    def start_edge(self) -> Process:
        process = start_edge(self.settings, log_path=self.work / f"edge-{len(self.processes)}.log")
        return self._started(process)

    def start_worker(self) -> Process:
        # Only the worker goes through the proxy: the fault is its Postgres, not the edge's.
        settings = self.settings
        if self.proxy is not None:
            settings = settings.model_copy(update={"database_url": self.proxy.url})
        return self._started(start_worker(settings, log_path=self.work / "worker.log"))

    def _started(self, process: Process) -> Process:
        self.processes.append(process)
        self._cleanup.callback(process.stop)
        return process


@dataclass
class Tally:
    """What the client saw: every request either served (a redirect) or failed."""

    sent: int = 0
    served: int = 0
    failed: int = 0  # connection errors, timeouts, 5xx (and any other non-redirect answer)
    seconds: float = 0.0  # how long the load ran

    @property
    def request_rate(self) -> float:
        """Requests per second the client kept (below the planned rate when it could not keep up)."""
        return self.sent / self.seconds if self.seconds else 0.0


class Load:
    """GET redirects at ``rate`` per second for seeded ``codes``, at most ``in_flight`` at once."""

    def __init__(self, target: str, codes: list[str], *, rate: int, in_flight: int = 50, seed: int = 11) -> None:
        self.target = target  # swapped by the faults that restart the edge
        self.codes = codes
        self.rate = rate
        self.in_flight = in_flight
        self.tally = Tally()
        self._rng = random.Random(seed)

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.in_flight, max_keepalive_connections=self.in_flight)
        # trust_env off: no proxy from the environment, every request goes to the edge on 127.0.0.1.
        return httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, follow_redirects=False, limits=limits, trust_env=False)

    async def wait_until_serving(self) -> None:
        """Until rounds of fresh connections have all been answered for ``SERVING_STREAK_S``.

        Raises:
            RuntimeError: the edge did not serve steadily within ``SERVING_DEADLINE_S``.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        clean_since: float | None = None
        while loop.time() - started < SERVING_DEADLINE_S:
            async with self._client() as client:  # a new client each round: new connections
                answers = await asyncio.gather(
                    *(client.head(f"{self.target}/{code}") for code in self.codes[:PROBE_CONNECTIONS]),
                    return_exceptions=True,
                )
            if all(isinstance(answer, httpx.Response) and answer.is_redirect for answer in answers):
                clean_since = loop.time() if clean_since is None else clean_since
                if loop.time() - clean_since >= SERVING_STREAK_S:
                    return
            else:
                clean_since = None
            await asyncio.sleep(PROBE_EVERY_S)
        raise RuntimeError(f"the edge at {self.target} did not serve steadily within {SERVING_DEADLINE_S:.0f} s")

    async def warm_up(self) -> None:
        """HEAD every code once: the edge caches them, and a HEAD is not a click.

        Raises:
            RuntimeError: a code did not redirect (the seeding or the edge is broken, not a fault).
        """
        limit = asyncio.Semaphore(WARM_UP_IN_FLIGHT)

        async def head(client: httpx.AsyncClient, code: str) -> None:
            async with limit:
                response = await client.head(f"{self.target}/{code}")
            if not response.is_redirect:
                raise RuntimeError(f"warm-up: /{code} answered {response.status_code}")

        async with self._client() as client, asyncio.TaskGroup() as group:
            for code in self.codes:
                group.create_task(head(client, code))

    async def run(self, seconds: float) -> Tally:
        """Send ``rate * seconds`` requests on a fixed schedule; returns once every one has an answer."""
        loop = asyncio.get_running_loop()
        limit = asyncio.Semaphore(self.in_flight)
        started = loop.time()
        async with self._client() as client, asyncio.TaskGroup() as group:
            for number in range(round(self.rate * seconds)):
                await asyncio.sleep(max(0.0, started + number / self.rate - loop.time()))
                # When the edge is slower than the rate, the schedule slips rather than piling up requests.
                await limit.acquire()
                group.create_task(self._request(client, limit, self._rng.choice(self.codes)))
        self.tally.seconds = loop.time() - started
        return self.tally

    async def _request(self, client: httpx.AsyncClient, limit: asyncio.Semaphore, code: str) -> None:
        self.tally.sent += 1
        try:
            response = await client.get(f"{self.target}/{code}")
        # AttributeError: a connection the edge resets while it is being opened (edge-sigkill)
        # reaches anyio's getpeername() with its socket already gone: a connection error too.
        except (httpx.HTTPError, AttributeError):
            self.tally.failed += 1
        else:
            if response.is_redirect:
                self.tally.served += 1
            else:
                self.tally.failed += 1
        finally:
            limit.release()


@dataclass(frozen=True)
class Counts:
    """What Postgres holds once the worker drained the streams."""

    counted: int  # sum of links.click_count
    gaps: int  # rows in click_stream_gaps
    drained: bool  # False: the deadline or the settle window ended the wait
    seconds: float  # how long the wait took


async def wait_for_drain(settings: Settings, *, served: int) -> Counts:
    """Wait until the worker has applied every stream entry (or its count stops moving), then count.

    Call it once nothing writes clicks any more (the edge stopped with SIGTERM, which flushes).
    """
    started = time.monotonic()
    conn = await asyncpg.connect(**connect_kwargs(settings))
    redis = create_redis(settings)
    try:
        last, moved = -1, started
        while True:
            counted = await clicks_counted(conn)
            now = time.monotonic()
            if counted != last:
                last, moved = counted, now
            drained = await streams_applied(settings, conn, redis)
            if drained or now - moved > DRAIN_SETTLED_S or now - started > DRAIN_DEADLINE_S:
                gaps = int(await conn.fetchval("SELECT count(*) FROM click_stream_gaps"))
                return Counts(counted=counted, gaps=gaps, drained=drained, seconds=now - started)
            await asyncio.sleep(DRAIN_POLL_S)
    finally:
        await redis.aclose()
        await conn.close()


async def clicks_counted(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT coalesce(sum(click_count), 0) FROM links"))


async def streams_applied(settings: Settings, conn: asyncpg.Connection, redis: RedisClient) -> bool:
    """True when no stream holds an entry after its shard's cursor: nothing is left to apply."""
    rows = await conn.fetch("SELECT shard, last_id FROM stream_cursors")
    cursors = {int(row["shard"]): str(row["last_id"]) for row in rows}
    keys = keys_for(settings)
    for shard in range(settings.click_shards):
        newest = await redis.xrevrange(keys.clicks_stream(shard), count=1)
        last_id = newest[0][0] if newest else None
        if last_id is not None and _id_key(last_id) > _id_key(cursors.get(shard, "0-0")):
            return False
    return True


def _id_key(stream_id: bytes | str) -> tuple[int, int]:
    # Stream IDs compare as (ms, seq) number pairs, not as text.
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)
