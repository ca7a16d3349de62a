"""Small helpers shared by tests: creating links through the service, reading click streams."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import redis

from admin.links import Link, LinkCreate, create_link, prepare_target
from admin.stores import Stores
from common.records import STREAM_FIELD_BATCH, Click, Keys, decode_click_batch
from common.settings import Settings


async def add_link(
    stores: Stores,
    settings: Settings,
    target: str,
    *,
    code: str | None = None,
    status: int = 302,
    expires_at: datetime | None = None,
    forward_query: bool = False,
    max_clicks: int | None = None,
    owner_id: int | None = None,
) -> Link:
    link_in = LinkCreate(
        target_url=target,
        code=code,
        redirect_status=status,  # type: ignore[arg-type]
        expires_at=expires_at,
        forward_query=forward_query,
        max_clicks=max_clicks,
    )
    return await create_link(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        link_in=link_in,
        target_url=prepare_target(link_in, short_base=settings.short_base, blocked_domains=[]),
        owner_id=owner_id,
        code_length=settings.code_length,
    )


def stream_clicks(settings: Settings, redis_url: str | None = None) -> list[Click]:
    """Every click in every click stream of ``settings``, read synchronously."""
    keys = Keys(prefix=settings.redis_prefix)
    clicks: list[Click] = []
    with redis.Redis.from_url(redis_url or str(settings.redis_url)) as client:
        for stream in keys.all_click_streams(settings.click_shards):
            for _, fields in client.xrange(stream):
                clicks.extend(decode_click_batch(fields[STREAM_FIELD_BATCH]))
    return clicks


def clicks_by_code(settings: Settings, redis_url: str | None = None) -> Counter[str]:
    return Counter(click[1] for click in stream_clicks(settings, redis_url))
