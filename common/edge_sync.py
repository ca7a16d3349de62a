"""Write-through from Postgres to the edge: Redis records, then an invalidation message.

Called after the Postgres transaction has committed. If Redis is unreachable the change is
still committed; the edge picks it up when its cache entries expire (records carry a TTL).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from common.records import INVALIDATE_ALL, NEGATIVE, NEGATIVE_TTL_S, RECORD_TTL_S, Keys, LinkRecord

logger = logging.getLogger("hop.edge_sync")


# Past this many codes one "flush everything" message is cheaper for the edges than one message each.
PUBLISH_EACH_LIMIT = 100


async def push_records(redis: Redis, keys: Keys, records: Mapping[str, LinkRecord | None]) -> bool:
    """SET each record (a tombstone for None) and tell every edge, in one round trip.

    Returns False when Redis could not be reached; the caller's change stands regardless.
    """
    if not records:
        return True
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for code, record in records.items():
                if record is None:
                    pipe.set(keys.link(code), NEGATIVE, ex=NEGATIVE_TTL_S)
                else:
                    pipe.set(keys.link(code), record.encode(), ex=RECORD_TTL_S)
            if len(records) > PUBLISH_EACH_LIMIT:
                pipe.publish(keys.invalidate_channel, INVALIDATE_ALL)
            else:
                for code in records:
                    pipe.publish(keys.invalidate_channel, code)
            await pipe.execute()
    except (RedisError, OSError) as error:
        logger.warning("redis write-through failed for %d links (edges will read through): %s", len(records), error)
        return False
    return True
