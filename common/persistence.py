"""What a restart of the Redis holding the click streams would cost, said once at start-up.

Clicks wait in the streams until the worker applies them, normally well under a second. A Redis
with the append-only file keeps them across a restart (a crashed process loses none, a crashed host
what it had not fsynced: about a second with ``appendfsync everysec``); one without it restarts
empty and takes every click not yet applied with it. The worker records such a loss as a gap
(worker/gaps.py), but cannot undo it, so the edge and the worker say at start which case applies:
a warning in production when clicks would be lost or Redis will not tell (CONFIG refused, as some
managed services do), an info line otherwise. See docs/invariants.md, section 7.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from common.redis import RedisClient, is_cluster
from common.settings import CoreSettings

RECOMMENDED = "appendonly yes, appendfsync everysec (as docker-compose.yml runs Valkey)"


@dataclass(frozen=True, slots=True)
class Persistence:
    """A Redis server's persistence settings, as CONFIG GET reports them."""

    appendonly: bool
    appendfsync: str  # always, everysec or no: when the append-only file reaches the disk
    save: str  # the RDB snapshot schedule, "" when off

    @property
    def keeps_streams(self) -> bool:
        return self.appendonly

    def describe(self) -> str:
        if self.appendonly:
            return f"keeps unapplied clicks across a restart (append-only file, appendfsync {self.appendfsync})"
        snapshots = f"; RDB snapshots ({self.save}) keep only what the last one held" if self.save else ""
        return f"has no append-only file: a restart loses every click not yet applied{snapshots}; set {RECOMMENDED}"


async def read_persistence(redis: RedisClient) -> Persistence:
    """The persistence of ``redis``; of a cluster, its weakest primary's (any primary can hold a stream).

    Raises RedisError (CONFIG refused, Redis unreachable) or OSError.
    """
    if not is_cluster(redis):
        return _persistence(await redis.config_get(*_FIELDS))
    replies = await redis.config_get(*_FIELDS, target_nodes=RedisCluster.PRIMARIES)
    # redis-py answers one node's reply as is, several as {node name: reply}.
    configs = list(replies.values()) if "appendonly" not in replies else [replies]
    return min((_persistence(config) for config in configs), key=lambda persistence: persistence.keeps_streams)


_FIELDS = ("appendonly", "appendfsync", "save")


def _persistence(config: Any) -> Persistence:
    return Persistence(
        appendonly=_text(config.get("appendonly")) == "yes",
        appendfsync=_text(config.get("appendfsync")),
        save=_text(config.get("save")),
    )


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else value or ""


async def report_persistence(redis: RedisClient, settings: CoreSettings, logger: logging.Logger) -> Persistence | None:
    """Log what a restart of ``redis`` would cost the click streams (see the module doc); returns
    its persistence, or None when it could not be read. Never raises: start-up goes on either way."""
    production = settings.environment == "production"
    try:
        persistence = await read_persistence(redis)
    except (RedisError, OSError) as error:
        level = logging.WARNING if production else logging.INFO
        logger.log(
            level, "could not read redis persistence (%s): make sure it runs with %s", _reason(error), RECOMMENDED
        )
        return None
    level = logging.WARNING if production and not persistence.keeps_streams else logging.INFO
    logger.log(level, "redis %s", persistence.describe())
    return persistence


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
