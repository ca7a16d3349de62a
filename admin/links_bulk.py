"""Creating many links in one request: each item succeeds or fails on its own.

Items are validated one by one, then inserted with one statement per round
(``INSERT ... SELECT FROM jsonb_to_recordset ... ON CONFLICT DO NOTHING``): 1,000 links cost a
few round trips, not a few thousand. Random codes that collide (on the item's domain) are drawn
again in the next round.
With an audit actor, each round's links get their audit entries in the round's transaction.
Passwords are hashed before the first round, each with its own salt, a few at a time.
Imported links (admin/importers/) take the same path, with their History: the created date and the
click total they had in the shortener they come from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import ValidationError

from admin.audit import Actor, Change, record_many
from admin.domains import DomainError, ShortDomains, short_domains
from admin.link_metadata import METADATA_COLUMNS, metadata_columns
from admin.link_routing import routing_columns
from admin.links import (
    GENERATE_ATTEMPTS,
    LINK_COLUMNS,
    RESERVED_CODES,
    CodeTaken,
    Link,
    LinkCreate,
    LinkError,
    audit_values,
    check_code,
    generate_code,
    password_hash_for,
    prepare_link,
    raise_unknown_domain,
    sync_edge_keys,
)
from admin.targets import TargetRejected
from common.domains import edge_key, split_edge_key
from common.records import Keys
from common.redis import RedisClient

MAX_BULK = 1_000
# argon2 hashes at once: each takes ~20 ms of a core and 19 MiB, and a thousand at once would
# hold every thread of the default executor, which logins need too.
HASH_CONCURRENCY = 2

_INSERT = f"""
    INSERT INTO links (code, domain, target_url, redirect_status, expires_at, max_clicks, forward_query, title, tags,
                       owner_id, password_hash, {", ".join(METADATA_COLUMNS)}, rules, variants, created_at,
                       imported_clicks)
    SELECT r.code, r.domain, r.target_url, r.redirect_status, r.expires_at, r.max_clicks, r.forward_query, r.title,
           ARRAY(SELECT jsonb_array_elements_text(r.tags)), $2, r.password_hash,
           {", ".join(f"r.{column}" for column in METADATA_COLUMNS)}, r.rules, r.variants,
           coalesce(r.created_at, now()), r.imported_clicks
    FROM jsonb_to_recordset($1::jsonb) AS r(code text, domain text, target_url text, redirect_status smallint,
         expires_at timestamptz, max_clicks bigint, forward_query boolean, title text, tags jsonb,
         password_hash text, {", ".join(f"{column} text" for column in METADATA_COLUMNS)}, rules jsonb, variants jsonb,
         created_at timestamptz, imported_clicks bigint)
    ON CONFLICT (edge_key) DO NOTHING
    RETURNING {LINK_COLUMNS}
"""


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """Why one item of a bulk request was not created; ``code`` is a stable error code."""

    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class History:
    """What an imported link brings from the shortener it comes from: when it was created there
    (None: now) and the clicks it had there (links.imported_clicks, never added to click_count)."""

    created_at: datetime | None = None
    imported_clicks: int = 0


NO_HISTORY = History()


@dataclass(frozen=True, slots=True)
class ValidItem:
    """An item that passed validation (its domain as stored), with its normalised target."""

    link_in: LinkCreate
    target_url: str
    password_hash: str | None = None
    history: History = NO_HISTORY


def describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in error.errors()[:5])


def validate_item(
    raw: object, *, domains: ShortDomains, short_base: str, blocked_domains: list[str], seen: set[str]
) -> ValidItem | ItemFailure:
    """``raw`` (a LinkCreate or its JSON) checked as the bulk insert checks it: fields, domain, target,
    code; a custom code already in ``seen`` (edge keys) on the same domain fails as taken, and is
    added to it otherwise."""
    try:
        link_in = raw if isinstance(raw, LinkCreate) else LinkCreate.model_validate(raw)
        link_in, target = prepare_link(link_in, domains=domains, short_base=short_base, blocked_domains=blocked_domains)
        if link_in.code is not None:
            check_code(link_in.code)
            key = edge_key(link_in.domain, link_in.code)
            if key in seen:
                raise CodeTaken(link_in.code, link_in.domain)
            seen.add(key)
    except ValidationError as error:
        return ItemFailure("validation_failed", describe(error))
    except TargetRejected as error:
        return ItemFailure(error.reason, str(error))
    except (LinkError, DomainError) as error:
        return ItemFailure(error.error_code, str(error))
    return ValidItem(link_in, target)


def _fresh_code(length: int, taken: set[str]) -> str:
    while True:
        code = generate_code(length)
        if code not in taken and code.lower() not in RESERVED_CODES:
            taken.add(code)
            return code


def _record(item: ValidItem, code: str) -> dict[str, Any]:
    link_in = item.link_in
    return {
        "code": code,
        "domain": link_in.domain,
        "target_url": item.target_url,
        "redirect_status": link_in.redirect_status,
        "expires_at": link_in.expires_at,
        "max_clicks": link_in.max_clicks,
        "forward_query": link_in.forward_query,
        "title": link_in.title,
        "tags": link_in.tags,
        "password_hash": item.password_hash,
        **metadata_columns(link_in.utm, link_in.preview),
        **routing_columns(link_in.rules, link_in.variants),
        "created_at": item.history.created_at,
        "imported_clicks": item.history.imported_clicks,
    }


async def _with_password_hashes(pending: dict[int, ValidItem]) -> dict[int, ValidItem]:
    """The pending items, each with a password given its hash."""
    limit = asyncio.Semaphore(HASH_CONCURRENCY)

    async def hashed(item: ValidItem) -> ValidItem:
        if item.link_in.password is None:
            return item
        async with limit:
            return replace(item, password_hash=await password_hash_for(item.link_in.password))

    items = await asyncio.gather(*(hashed(item) for item in pending.values()))
    return dict(zip(pending, items, strict=True))


async def _insert_round(
    pool: asyncpg.Pool, records: list[dict[str, Any]], owner_id: int | None, actor: Actor | None, action: str
) -> list[asyncpg.Record]:
    async with pool.acquire() as conn, conn.transaction():
        try:
            rows = await conn.fetch(_INSERT, records, owner_id)
        except asyncpg.ForeignKeyViolationError as error:
            # An admin removed a domain between the check and the insert: the whole round fails.
            raise_unknown_domain(error, next((r["domain"] for r in records if r["domain"] is not None), None))
            raise
        if actor is not None:
            links = [Link.from_row(row) for row in rows]
            changes = [Change(link.id, link.edge_key, new=audit_values(link)) for link in links]
            await record_many(conn, actor=actor, action=action, entity_type="link", changes=changes)
    return list(rows)


async def create_links_bulk(
    *,
    pool: asyncpg.Pool,
    redis: RedisClient,
    keys: Keys,
    items: Sequence[object],
    owner_id: int | None,
    short_base: str,
    blocked_domains: list[str],
    code_length: int,
    actor: Actor | None = None,
    action: str = "link.bulk_create",
    history: Sequence[History] | None = None,
) -> list[Link | ItemFailure]:
    """One result per item, in order: the created Link or an ItemFailure. Created links are
    pushed to the edge after they are committed; with an ``actor``, each gets an ``action`` audit entry.
    ``history``, one per item when given, keeps an imported link's created date and click total.

    Raises:
        admin.domains.UnknownDomain: an item's domain was removed while the links were inserted.
    """
    results: list[Link | ItemFailure | None] = [None] * len(items)
    pending: dict[int, ValidItem] = {}
    custom: set[str] = set()
    domains = await short_domains(pool, short_base)
    for index, raw in enumerate(items):
        outcome = validate_item(
            raw, domains=domains, short_base=short_base, blocked_domains=blocked_domains, seen=custom
        )
        if isinstance(outcome, ItemFailure):
            results[index] = outcome
        else:
            pending[index] = outcome if history is None else replace(outcome, history=history[index])
    pending = await _with_password_hashes(pending)
    # Random codes avoid every custom code of the request, whatever its domain: simpler, and as rare.
    taken = {split_edge_key(key)[1] for key in custom}
    for attempt in range(GENERATE_ATTEMPTS * 2):
        if not pending:
            break
        length = code_length + attempt // GENERATE_ATTEMPTS
        codes = {i: item.link_in.code or _fresh_code(length, taken) for i, item in pending.items()}
        rows = await _insert_round(
            pool, [_record(pending[i], code) for i, code in codes.items()], owner_id, actor, action
        )
        by_key = {edge_key(pending[i].link_in.domain, code): i for i, code in codes.items()}
        for row in rows:
            index = by_key[edge_key(row["domain"], row["code"])]
            results[index] = Link.from_row(row)
            del pending[index]
        for index in [i for i, item in pending.items() if item.link_in.code is not None]:
            link_in = pending.pop(index).link_in
            assert link_in.code is not None
            results[index] = ItemFailure(CodeTaken.error_code, str(CodeTaken(link_in.code, link_in.domain)))
    for index in pending:
        results[index] = ItemFailure(CodeTaken.error_code, "no free random code found; try again")
    created = [result for result in results if isinstance(result, Link)]
    # Read back after commit: what Postgres now says (an owner disabled meanwhile gets tombstones).
    await sync_edge_keys(pool=pool, redis=redis, keys=keys, edge_keys=[link.edge_key for link in created])
    return [result for result in results if result is not None]
