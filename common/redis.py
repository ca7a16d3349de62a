"""The redis-py asyncio client every Hop process uses: one Redis, or a Redis Cluster.

hiredis parses replies when installed. With ``HOP_REDIS_CLUSTER`` the client is redis-py's
cluster client: it routes each command to the node owning its key's slot, splits pipelines per
node and follows MOVED/ASK during resharding and failover. What still differs is named in
docs/redis-contract.md#redis-cluster; callers branch on ``is_cluster`` only there.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias, TypeGuard

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from common.records import Keys
from common.settings import CoreSettings

RedisClient: TypeAlias = Redis | RedisCluster
# A stream's entries as XRANGE answers them, and XREAD's answer: per stream read, its name and its
# entries; all bytes (Hop's clients never decode responses).
StreamEntries: TypeAlias = list[tuple[bytes, dict[bytes, bytes]]]
XReadReply: TypeAlias = list[tuple[bytes, StreamEntries]]
# What a command raises when Redis, or the connection it went out on, fails: redis-py's errors, OS
# errors, and, under uvloop (the edge's loop), the RuntimeError or AttributeError of a transport
# that another task closed while this command was being written (redis-py's cluster client closes
# a node's connections when it gives up on them, whoever is using them).
CONNECTION_FAILURES: Final = (RedisError, OSError, RuntimeError, AttributeError)


def redis_url(settings: CoreSettings) -> str:
    if settings.redis_url is None:
        raise ValueError("HOP_REDIS_URL is not set (run through `hop dev` to start an embedded Valkey)")
    return settings.redis_url


def is_cluster(redis: RedisClient) -> TypeGuard[RedisCluster]:
    return isinstance(redis, RedisCluster)


def connect(settings: CoreSettings, **options: Any) -> RedisClient:
    """A client for ``HOP_REDIS_URL``: the cluster client when ``HOP_REDIS_CLUSTER`` is on.

    ``max_connections`` is per node in a cluster (redis-py keeps a pool per node).
    """
    if settings.redis_cluster:
        # A command to a node that just failed is retried after the slot map is re-read, so a
        # failover costs retries, not an error, once a replica has taken over. A MOVED only re-points
        # its slot: by default every 5th makes redis-py close all the client's connections, those
        # other tasks are using too, and a slot migration's MOVEDs then broke commands in flight with
        # errors that are not RedisErrors (uvloop's RuntimeError on a closed transport).
        return RedisCluster.from_url(redis_url(settings), reinitialize_steps=0, **options)
    return Redis.from_url(redis_url(settings), **options)


def create_redis(settings: CoreSettings, *, max_connections: int = 64) -> RedisClient:
    # Short timeouts: a Redis outage must turn into a fallback within a second, not a hung request.
    return connect(
        settings,
        max_connections=max_connections,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
        health_check_interval=15,
        client_name="hop",
    )


def keys_for(settings: CoreSettings) -> Keys:
    return Keys(prefix=settings.redis_prefix, cluster=settings.redis_cluster)
