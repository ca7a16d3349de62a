"""/links: create, read, list, change, disable, delete, bulk, CSV and QR codes of short links.

A user sees and changes only their own links (another user's link answers 404, never 403,
so that codes do not leak); admins see and change all.

A link is named by its code and its short domain: every route under ``/links/{code}`` takes the
domain as ``?domain=`` (absent or empty: the default domain), as does ``POST /links/actions`` in its
body; the same code may exist once per domain.

Creation is rate limited per user (HOP_LINK_CREATE_PER_MINUTE, HOP_LINK_CREATE_PER_DAY), each
bulk or imported item counting as one link: a request that can create nothing answers 429 with
Retry-After; a bulk request that fits only in part creates the first items that fit and reports
the rest as ``link_rate_limited`` item errors (with Retry-After on the response).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from redis.exceptions import RedisError

from admin.auth.deps import LinksRead, LinksWrite, SettingsDep, StoresDep
from admin.auth.principal import Principal
from admin.domains import lookup_domain, short_domains, short_url
from admin.link_metadata import with_metadata_columns
from admin.link_routing import with_routing_columns
from admin.links import (
    CODE_PATTERN,
    MAX_TAGS,
    Link,
    LinkCreate,
    LinkPublic,
    LinksPublic,
    LinkUpdate,
    check_routing,
    clean_tags,
    create_link,
    delete_link,
    get_owned_link,
    prepare_link,
    prepare_target,
    update_link,
    with_password_hash,
)
from admin.links_actions import MAX_ACTION_CODES, LinkAction, apply_link_action
from admin.links_bulk import MAX_BULK, ItemFailure, create_links_bulk
from admin.links_csv import MAX_IMPORT_ROWS, CsvInvalid, export_links, parse_import
from admin.links_list import DEFAULT_SORT, LinkFilter, SortKey, list_links
from admin.problems import Problem, problem_responses
from admin.qr import DEFAULT_SIZE, MAX_SIZE, MEDIA_TYPES, MIN_SIZE, render_qr
from admin.routes.audit import RequestActor
from admin.text import NO_NUL_PATTERN
from common.settings import AdminSettings
from common.stores import Stores

logger = logging.getLogger("hop.admin.links")

router = APIRouter(prefix="/links", tags=["links"])

AUTH = (401, 403)
Code = Annotated[str, Path(pattern=CODE_PATTERN, description="The short code.")]
DOMAIN_PARAM_HELP = "The link's short domain (a host GET /domains lists); absent or empty: the default domain."
DomainParam = Annotated[str | None, Query(max_length=300, description=DOMAIN_PARAM_HELP)]


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A link as a request names it: its code, and its domain as stored (None: the default one)."""

    code: str
    domain: str | None


def link_ref(code: Code, settings: SettingsDep, domain: DomainParam = None) -> LinkRef:
    """The link of a ``/links/{code}?domain=`` route. Raises admin.domains.InvalidDomain (a 422)."""
    return LinkRef(code, lookup_domain(domain, settings.short_base))


LinkAt = Annotated[LinkRef, Depends(link_ref)]


class BulkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    links: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BULK,
        description=f"Up to {MAX_BULK} objects shaped like LinkCreate (a password, utm, preview, rules and variants "
        "included); each is validated on its own.",
    )


class ItemError(BaseModel):
    code: str
    detail: str


class BulkItemResult(BaseModel):
    index: int
    ok: bool
    link: LinkPublic | None = None
    error: ItemError | None = None


class BulkResult(BaseModel):
    created: int
    failed: int
    results: list[BulkItemResult]


TAGGING_ACTIONS = ("tag", "untag")


class LinkActionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str | None = Field(
        None, max_length=300, description="The short domain of every code; null or omitted: the default domain."
    )
    codes: list[Annotated[str, Field(pattern=CODE_PATTERN)]] = Field(
        min_length=1,
        max_length=MAX_ACTION_CODES,
        json_schema_extra={"uniqueItems": True},
        description=f"The short codes to act on: 1 to {MAX_ACTION_CODES}, each once.",
    )
    action: LinkAction
    tags: list[str] | None = Field(
        None,
        min_length=1,
        max_length=MAX_TAGS,
        validate_default=True,
        description="The tags to add (tag) or remove (untag); required for those two, refused for the others.",
    )

    @field_validator("codes")
    @classmethod
    def _unique(cls, codes: list[str]) -> list[str]:
        if len(set(codes)) != len(codes):
            raise ValueError("each code may appear only once")
        return codes

    @field_validator("tags")
    @classmethod
    def _tags_fit_the_action(cls, tags: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if "action" not in info.data:  # the action itself was refused; that error says enough
            return tags
        action = info.data["action"]
        if action not in TAGGING_ACTIONS:
            if tags is not None:
                raise ValueError("tags go only with the tag and untag actions")
            return None
        cleaned = clean_tags(tags)
        if not cleaned:
            raise ValueError(f"the {action} action needs at least one tag")
        return cleaned


class LinkActionResult(BaseModel):
    code: str
    domain: str | None = Field(description="The code's short domain, as the request named it; null: the default one.")
    ok: bool
    error: ItemError | None = None


class LinkActionsResult(BaseModel):
    results: list[LinkActionResult] = Field(description="One per code, in the order sent.")
    succeeded: int
    failed: int


# Atomically, in one round trip: grant as many of ARGV[1] creations as every window still allows,
# count them, and say how long until the fullest window frees up. KEYS: one counter per window
# (fixed windows, started by their first creation); ARGV: wanted, then limit and seconds per key.
_GRANT_LUA = """
local wanted = tonumber(ARGV[1])
local grant = wanted
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local left = limit - tonumber(redis.call('GET', key) or '0')
  if left < wanted then
    local ttl = redis.call('TTL', key)
    if ttl < 1 then ttl = tonumber(ARGV[2 * i + 1]) end
    wait = math.max(wait, ttl)
  end
  grant = math.min(grant, math.max(left, 0))
end
if grant > 0 then
  for i, key in ipairs(KEYS) do
    redis.call('INCRBY', key, grant)
    redis.call('EXPIRE', key, tonumber(ARGV[2 * i + 1]), 'NX')
  end
end
return {grant, wait}
"""
RATE_LIMITED = "link_rate_limited"


@dataclass(frozen=True, slots=True)
class Grant:
    """How many of the wanted creations may go ahead, and seconds until more may (0: no wait)."""

    granted: int
    retry_after: int


async def take_quota(stores: Stores, settings: AdminSettings, *, user_id: int, wanted: int) -> Grant:
    """Count up to ``wanted`` link creations against the user's windows; what fits is granted.

    If Redis is down, creations are not limited rather than impossible (Postgres is the truth and
    still answers); the outage is logged.
    """
    windows = [
        (f"link-create-{seconds}s", limit, seconds)
        for limit, seconds in ((settings.link_create_per_minute, 60), (settings.link_create_per_day, 86_400))
        if limit > 0
    ]
    if not windows or wanted <= 0:
        return Grant(wanted, 0)
    keys = [stores.keys.throttle(scope, str(user_id)) for scope, _, _ in windows]
    args = [wanted, *(value for _, limit, seconds in windows for value in (limit, seconds))]
    try:
        granted, wait = await stores.redis.register_script(_GRANT_LUA)(keys=keys, args=args)
    except (RedisError, OSError) as error:
        logger.warning("link creation not rate limited, redis unavailable: %s", error)
        return Grant(wanted, 0)
    return Grant(int(granted), int(wait))


def rate_limited(grant: Grant) -> Problem:
    return Problem(
        429,
        RATE_LIMITED,
        "too many links created; try again later",
        headers={"Retry-After": str(max(1, grant.retry_after))},
    )


async def _granted_items(
    stores: Stores, settings: AdminSettings, response: Response, *, user_id: int, items: list[Any]
) -> tuple[list[Any], list[Link | ItemFailure]]:
    """The items the quota lets through, and a failure for each of the others (429 when none)."""
    grant = await take_quota(stores, settings, user_id=user_id, wanted=len(items))
    if grant.granted == 0 and items:
        raise rate_limited(grant)
    refused = items[grant.granted :]
    if refused:
        response.headers["Retry-After"] = str(max(1, grant.retry_after))
    detail = f"over the link creation limit; retry in {max(1, grant.retry_after)} s"
    failures: list[Link | ItemFailure] = [ItemFailure(RATE_LIMITED, detail) for _ in refused]
    return items[: grant.granted], failures


def _public(link: Link, settings: AdminSettings) -> LinkPublic:
    return link.public(settings.short_base)


def _bulk_result(outcomes: list[Link | ItemFailure], settings: AdminSettings, *, first_index: int = 0) -> BulkResult:
    results = [
        BulkItemResult(index=first_index + i, ok=True, link=_public(outcome, settings))
        if isinstance(outcome, Link)
        else BulkItemResult(index=first_index + i, ok=False, error=ItemError(code=outcome.code, detail=outcome.detail))
        for i, outcome in enumerate(outcomes)
    ]
    created = sum(result.ok for result in results)
    return BulkResult(created=created, failed=len(results) - created, results=results)


@router.post("", status_code=201, response_model=LinkPublic, responses=problem_responses(*AUTH, 409, 413, 422, 429))
async def new_link(
    body: LinkCreate, principal: LinksWrite, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> LinkPublic:
    """Shorten a URL: a random code unless ``code`` is given, on the default domain unless ``domain``
    names another (422 ``unknown_domain`` for one that is not a short domain); with a ``password``,
    visitors must enter it before the redirect. The edge serves it within a second."""
    domains = await short_domains(stores.pool, settings.short_base)
    body, target = prepare_link(
        body, domains=domains, short_base=settings.short_base, blocked_domains=settings.blocked_domains
    )
    grant = await take_quota(stores, settings, user_id=principal.id, wanted=1)
    if grant.granted == 0:
        raise rate_limited(grant)
    link = await create_link(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        link_in=body,
        target_url=target,
        owner_id=principal.id,
        code_length=settings.code_length,
        actor=actor,
    )
    return _public(link, settings)


@router.get("", response_model=LinksPublic, responses=problem_responses(*AUTH, 422))
async def links(
    principal: LinksRead,
    stores: StoresDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000, description="From `next_cursor` of the last page.")] = None,
    page: Annotated[int | None, Query(ge=1, le=100_000, description="Page number (instead of a cursor).")] = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL_PATTERN, description="Part of the code, target URL or title.")
    ] = None,
    tag: Annotated[str | None, Query(max_length=64, pattern=NO_NUL_PATTERN)] = None,
    sort: Annotated[SortKey, Query(description="Column; a leading `-` sorts descending.")] = DEFAULT_SORT,
    owner_id: Annotated[int | None, Query(ge=1, le=2**62, description="Admins only: one user's links.")] = None,
    domain: Annotated[
        str | None,
        Query(
            max_length=300,
            description="Only the links of this short domain (empty: the default domain's); absent: every domain's.",
        ),
    ] = None,
) -> LinksPublic:
    """The caller's links (an admin's: everyone's), newest first unless ``sort`` says otherwise."""
    if cursor is not None and page is not None:
        raise Problem(422, "validation_failed", "use either cursor or page, not both")
    by_domain = domain is not None
    filters = LinkFilter(
        q=q,
        tag=tag,
        owner_id=owner_id,
        by_domain=by_domain,
        domain=lookup_domain(domain, settings.short_base) if by_domain else None,
    )
    result = await list_links(
        pool=stores.pool,
        principal=principal,
        filters=filters,
        limit=limit,
        sort=sort,
        cursor=cursor,
        page=page,
    )
    return LinksPublic(
        data=[_public(link, settings) for link in result.links],
        count=result.count,
        next_cursor=result.next_cursor,
        page=page,
    )


@router.post("/bulk", response_model=BulkResult, responses=problem_responses(*AUTH, 413, 422, 429))
async def bulk_create(
    body: BulkCreate,
    response: Response,
    principal: LinksWrite,
    actor: RequestActor,
    stores: StoresDep,
    settings: SettingsDep,
) -> BulkResult:
    """Create up to 1,000 links; each item gets its own result (``ok`` and the link, or an error)."""
    items, refused = await _granted_items(stores, settings, response, user_id=principal.id, items=body.links)
    outcomes: list[Link | ItemFailure] = await create_links_bulk(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        items=items,
        owner_id=principal.id,
        short_base=settings.short_base,
        blocked_domains=settings.blocked_domains,
        code_length=settings.code_length,
        actor=actor,
    )
    return _bulk_result(outcomes + refused, settings)


@router.post("/actions", response_model=LinkActionsResult, responses=problem_responses(*AUTH, 413, 422))
async def link_actions(
    body: LinkActionsIn, principal: LinksWrite, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> LinkActionsResult:
    """Disable, enable, delete, tag or untag up to 500 links of one domain (``domain``, the default one
    when left out); each code gets its own result.

    Each code goes through what its single-link endpoint does (ownership, the edge, the audit
    log); an unknown code, or another user's, fails alone with ``link_not_found``. Tagging never
    gives a link more than 32 tags (``too_many_tags``).
    """
    domain = lookup_domain(body.domain, settings.short_base, loc=("body", "domain"))
    outcomes = await apply_link_action(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        codes=body.codes,
        action=body.action,
        tags=body.tags or [],
        principal=principal,
        actor=actor,
        domain=domain,
    )
    results = [
        LinkActionResult(code=code, domain=domain, ok=failure is None, error=_item_error(failure))
        for code, failure in zip(body.codes, outcomes, strict=True)
    ]
    succeeded = sum(result.ok for result in results)
    return LinkActionsResult(results=results, succeeded=succeeded, failed=len(results) - succeeded)


def _item_error(failure: ItemFailure | None) -> ItemError | None:
    return None if failure is None else ItemError(code=failure.code, detail=failure.detail)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The links as CSV."}, **problem_responses(*AUTH)},
)
async def export_csv(
    principal: LinksRead,
    stores: StoresDep,
    settings: SettingsDep,
    tag: Annotated[str | None, Query(max_length=64, pattern=NO_NUL_PATTERN)] = None,
) -> StreamingResponse:
    """Every link the caller may see, as CSV (streamed), with its domain (empty: the default one), the UTM
    fields (utm_source ... utm_content) and
    the preview (preview_title, preview_description, preview_image) as columns. Passwords are not exported."""
    rows = export_links(pool=stores.pool, principal=principal, short_base=settings.short_base, tag=tag)
    return StreamingResponse(
        rows, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="links.csv"'}
    )


IMPORT_FIELD = "file"


async def import_body(request: Request) -> bytes:
    """The CSV of an import: the ``file`` field of a multipart form (an upload, as ``curl -F
    file=@links.csv`` sends, or a text field, as ``curl -F file=<links.csv`` does), or else the raw body.

    Raises:
        CsvInvalid: a multipart form without a ``file`` field.
    """
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        return await request.body()
    # The body limit still applies (BodyLimitMiddleware counts what is read); one file, few fields.
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get(IMPORT_FIELD)
        if upload is None:
            raise CsvInvalid(f"send the CSV in the form field {IMPORT_FIELD!r}")
        return upload.encode() if isinstance(upload, str) else await upload.read()


def upload_request_body(description: str, *, raw: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body of a file upload: the raw file as the body in one of the ``raw``
    media types, or a multipart form with it in the ``IMPORT_FIELD`` field (what ``import_body`` reads)."""
    form = {
        "schema": {
            "type": "object",
            "properties": {IMPORT_FIELD: {"type": "string", "format": "binary"}},
            "required": [IMPORT_FIELD],
        }
    }
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {**raw, "multipart/form-data": form},
        }
    }


@router.post(
    "/import.csv",
    response_model=BulkResult,
    responses=problem_responses(*AUTH, 413, 422, 429),
    openapi_extra=upload_request_body(
        f"UTF-8 CSV with a header row naming at least target_url; at most {MAX_IMPORT_ROWS} rows. "
        f"Either the raw CSV as the body, or a multipart form with the CSV in the `{IMPORT_FIELD}` field "
        f"(`curl -F {IMPORT_FIELD}=@links.csv`). Optional columns utm_source ... utm_content and "
        "preview_title, preview_description, preview_image set the UTM fields and the preview. "
        "CSV carries no passwords (a `password` column is "
        "ignored): imported links are open; protect them afterwards with PATCH /links/{code}.",
        raw={"text/csv": {"schema": {"type": "string"}}},
    ),
)
async def import_csv(
    request: Request,
    response: Response,
    principal: LinksWrite,
    actor: RequestActor,
    stores: StoresDep,
    settings: SettingsDep,
) -> BulkResult:
    """Create links from CSV (the export format works as is); one result per data row (index 0 is the first).

    CSV carries no passwords, in either direction: imported links are open, and the export has no
    password column. Set passwords with PATCH /links/{code}, or create protected links with POST /links
    or /links/bulk."""
    try:
        rows = parse_import(await import_body(request))
    except CsvInvalid as error:
        raise Problem(422, error.error_code, str(error)) from None
    items, refused = await _granted_items(stores, settings, response, user_id=principal.id, items=rows)
    outcomes: list[Link | ItemFailure] = []
    for start in range(0, len(items), MAX_BULK):
        outcomes += await create_links_bulk(
            pool=stores.pool,
            redis=stores.redis,
            keys=stores.keys,
            items=items[start : start + MAX_BULK],
            owner_id=principal.id,
            short_base=settings.short_base,
            blocked_domains=settings.blocked_domains,
            code_length=settings.code_length,
            actor=actor,
            action="link.import",
        )
    return _bulk_result(outcomes + refused, settings)


@router.get("/{code}", response_model=LinkPublic, responses=problem_responses(*AUTH, 404, 422))
async def link(ref: LinkAt, principal: LinksRead, stores: StoresDep, settings: SettingsDep) -> LinkPublic:
    return _public(await get_owned_link(stores.pool, ref.code, principal, ref.domain), settings)


async def _update(
    ref: LinkRef,
    changes: dict[str, Any],
    *,
    principal: Principal,
    actor: RequestActor,
    action: str,
    stores: StoresDep,
    settings: AdminSettings,
) -> LinkPublic:
    link = await update_link(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        code=ref.code,
        domain=ref.domain,
        changes=changes,
        principal=principal,
        actor=actor,
        action=action,
    )
    return _public(link, settings)


@router.patch("/{code}", response_model=LinkPublic, responses=problem_responses(*AUTH, 404, 413, 422))
async def change_link(
    ref: LinkAt, body: LinkUpdate, principal: LinksWrite, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> LinkPublic:
    """Change any field but the code and the domain; ``null`` clears expires_at, max_clicks, title, utm and preview,
    removes the rules or the A/B split, and removes the password (write-only: a link's answer says
    only ``has_password``). A ``utm`` or ``preview`` object replaces all of its fields: one left out
    is cleared; a ``rules`` or ``variants`` list replaces all of them."""
    changes = with_routing_columns(with_metadata_columns(await with_password_hash(body.changes())))
    base, blocked = settings.short_base, settings.blocked_domains
    hosts = (await short_domains(stores.pool, base)).hosts()
    if "target_url" in changes:
        # Checks the targets of the rules and variants too.
        changes["target_url"] = prepare_target(body, short_base=base, blocked_domains=blocked, domains=hosts)
    else:
        check_routing(body, short_base=base, blocked_domains=blocked, domains=hosts)
    return await _update(
        ref, changes, principal=principal, actor=actor, action="link.update", stores=stores, settings=settings
    )


@router.post("/{code}/disable", response_model=LinkPublic, responses=problem_responses(*AUTH, 404, 422))
async def disable_link(
    ref: LinkAt, principal: LinksWrite, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> LinkPublic:
    """Stop redirecting (the edge answers 404 within a second); the link and its data stay."""
    return await _update(
        ref,
        {"disabled": True},
        principal=principal,
        actor=actor,
        action="link.disable",
        stores=stores,
        settings=settings,
    )


@router.post("/{code}/enable", response_model=LinkPublic, responses=problem_responses(*AUTH, 404, 422))
async def enable_link(
    ref: LinkAt, principal: LinksWrite, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> LinkPublic:
    return await _update(
        ref,
        {"disabled": False},
        principal=principal,
        actor=actor,
        action="link.enable",
        stores=stores,
        settings=settings,
    )


@router.delete("/{code}", status_code=204, response_class=Response, responses=problem_responses(*AUTH, 404, 422))
async def remove_link(ref: LinkAt, principal: LinksWrite, actor: RequestActor, stores: StoresDep) -> Response:
    """Delete the link; the edge stops redirecting it within a second."""
    await delete_link(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        code=ref.code,
        domain=ref.domain,
        principal=principal,
        actor=actor,
    )
    return Response(status_code=204)


@router.get(
    "/{code}/qr",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}, "image/png": {}}, "description": "The QR code of the short URL."},
        **problem_responses(*AUTH, 404, 422),
    },
)
async def qr_code(
    ref: LinkAt,
    principal: LinksRead,
    stores: StoresDep,
    settings: SettingsDep,
    format: Annotated[Literal["svg", "png"], Query()] = "svg",
    size: Annotated[int, Query(ge=MIN_SIZE, le=MAX_SIZE, description="Approximate width in pixels.")] = DEFAULT_SIZE,
) -> Response:
    """The QR code of the short URL (on the link's domain), as SVG or PNG."""
    link = await get_owned_link(stores.pool, ref.code, principal, ref.domain)
    image = render_qr(short_url(link.domain, link.code, settings.short_base), fmt=format, size=size)
    return Response(image, media_type=MEDIA_TYPES[format], headers={"Cache-Control": "private, max-age=3600"})


__all__ = ["router"]
