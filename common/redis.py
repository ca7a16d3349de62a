"""The redis-py asyncio client every Hop process uses: one Redis, or a Redis Cluster.

hiredis parses replies when installed. With ``HOP_REDIS_CLUSTER`` the client is redis-py's
cluster client: it routes each command to the node owning its key's slot, splits pipelines per
node and follows MOVED/ASK during resharding and failover. What still differs is named in
docs/redis-contract.md#redis-cluster; callers branch on ``is_cluster`` only there.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeGuard

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from common.records import Keys
from common.settings import CoreSettings

RedisClient: TypeAlias = Redis | RedisCluster
# A stream's entries as XRANGE answers them, and XREAD's answer: per stream read, its name and its
# entries; all bytes (Hop's clients never decode responses).
StreamEntries: TypeAlias = list[tuple[bytes, dict[bytes, bytes]]]
XReadReply: TypeAlias = list[tuple[bytes, StreamEntries]]


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
        # failover costs retries, not an error, once a replica has taken over.
        return RedisCluster.from_url(redis_url(settings), **options)
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
