"""One action on many links (POST /links/actions): disable, enable, delete, tag or untag each.

Every code goes through the service function its single-link endpoint calls (admin/links.py:
update_link, delete_link), so ownership, the edge's outbox and the audit log work exactly as
they do for one link; each code succeeds or fails on its own. A code the caller may not see
(unknown, or another user's) fails with ``link_not_found``, as GET /links/{code} answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import asyncpg

from admin.audit import Actor
from admin.auth.principal import Principal
from admin.links import Changes, LinkError, delete_link, update_link, with_tags, without_tags
from admin.links_bulk import ItemFailure
from common.records import Keys
from common.redis import RedisClient

LinkAction = Literal["disable", "enable", "delete", "tag", "untag"]
MAX_ACTION_CODES = 500


def _changes(action: LinkAction, tags: list[str]) -> tuple[Changes, str]:
    """What update_link applies for ``action`` (not delete), and the audit action it records."""
    if action == "disable":
        return {"disabled": True}, "link.disable"
    if action == "enable":
        return {"disabled": False}, "link.enable"
    # Tags change as PATCH /links/{code} changes them: a link.update entry with the old and new tags.
    return (with_tags(tags) if action == "tag" else without_tags(tags)), "link.update"


async def apply_link_action(
    *,
    pool: asyncpg.Pool,
    redis: RedisClient,
    keys: Keys,
    codes: Sequence[str],
    action: LinkAction,
    tags: list[str],
    principal: Principal,
    actor: Actor,
    domain: str | None = None,
) -> list[ItemFailure | None]:
    """One outcome per code (each on ``domain``, as stored: None for the default one), in order: None
    when done, else why not. One code at a time, each in its own transaction: a failure (or a crash)
    midway leaves the codes before it done."""
    outcomes: list[ItemFailure | None] = []
    for code in codes:
        try:
            if action == "delete":
                await delete_link(
                    pool=pool, redis=redis, keys=keys, code=code, domain=domain, principal=principal, actor=actor
                )
            else:
                changes, audit_action = _changes(action, tags)
                await update_link(
                    pool=pool,
                    redis=redis,
                    keys=keys,
                    code=code,
                    domain=domain,
                    changes=changes,
                    principal=principal,
                    actor=actor,
                    action=audit_action,
                )
        except LinkError as error:
            outcomes.append(ItemFailure(error.error_code, str(error)))
        else:
            outcomes.append(None)
    return outcomes
