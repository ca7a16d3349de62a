"""/links: create, read, list, change, disable, delete, bulk, CSV and QR codes of short links.

A user sees and changes only their own links (another user's link answers 404, never 403,
so that codes do not leak); admins see and change all.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from admin.auth.deps import CurrentUser, SettingsDep, StoresDep
from admin.auth.principal import Principal
from admin.links import (
    CODE_PATTERN,
    Link,
    LinkCreate,
    LinkPublic,
    LinksPublic,
    LinkUpdate,
    create_link,
    delete_link,
    get_owned_link,
    prepare_target,
    update_link,
)
from admin.links_bulk import MAX_BULK, ItemFailure, create_links_bulk
from admin.links_csv import MAX_IMPORT_ROWS, CsvInvalid, export_links, parse_import
from admin.links_list import DEFAULT_SORT, LinkFilter, SortKey, list_links
from admin.problems import Problem, problem_responses
from admin.qr import DEFAULT_SIZE, MAX_SIZE, MEDIA_TYPES, MIN_SIZE, render_qr
from admin.text import NO_NUL_PATTERN
from common.settings import AdminSettings

router = APIRouter(prefix="/links", tags=["links"])

AUTH = (401, 403)
Code = Annotated[str, Path(pattern=CODE_PATTERN, description="The short code.")]


class BulkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    links: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BULK,
        description=f"Up to {MAX_BULK} objects shaped like LinkCreate; each is validated on its own.",
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


@router.post("", status_code=201, response_model=LinkPublic, responses=problem_responses(*AUTH, 409, 413, 422))
async def new_link(body: LinkCreate, principal: CurrentUser, stores: StoresDep, settings: SettingsDep) -> LinkPublic:
    """Shorten a URL: a random code unless ``code`` is given. The edge serves it within a second."""
    target = prepare_target(body, short_base=settings.short_base, blocked_domains=settings.blocked_domains)
    link = await create_link(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        link_in=body,
        target_url=target,
        owner_id=principal.id,
        code_length=settings.code_length,
    )
    return _public(link, settings)


@router.get("", response_model=LinksPublic, responses=problem_responses(*AUTH, 422))
async def links(
    principal: CurrentUser,
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
) -> LinksPublic:
    """The caller's links (an admin's: everyone's), newest first unless ``sort`` says otherwise."""
    if cursor is not None and page is not None:
        raise Problem(422, "validation_failed", "use either cursor or page, not both")
    result = await list_links(
        pool=stores.pool,
        principal=principal,
        filters=LinkFilter(q=q, tag=tag, owner_id=owner_id),
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


@router.post("/bulk", response_model=BulkResult, responses=problem_responses(*AUTH, 413, 422))
async def bulk_create(body: BulkCreate, principal: CurrentUser, stores: StoresDep, settings: SettingsDep) -> BulkResult:
    """Create up to 1,000 links; each item gets its own result (``ok`` and the link, or an error)."""
    outcomes = await create_links_bulk(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        items=body.links,
        owner_id=principal.id,
        short_base=settings.short_base,
        blocked_domains=settings.blocked_domains,
        code_length=settings.code_length,
    )
    return _bulk_result(outcomes, settings)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The links as CSV."}, **problem_responses(*AUTH)},
)
async def export_csv(
    principal: CurrentUser,
    stores: StoresDep,
    settings: SettingsDep,
    tag: Annotated[str | None, Query(max_length=64, pattern=NO_NUL_PATTERN)] = None,
) -> StreamingResponse:
    """Every link the caller may see, as CSV (streamed)."""
    rows = export_links(pool=stores.pool, principal=principal, short_base=settings.short_base, tag=tag)
    return StreamingResponse(
        rows, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="links.csv"'}
    )


@router.post(
    "/import.csv",
    response_model=BulkResult,
    responses=problem_responses(*AUTH, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": f"UTF-8 CSV with a header row naming at least target_url; at most {MAX_IMPORT_ROWS} rows.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_csv(request: Request, principal: CurrentUser, stores: StoresDep, settings: SettingsDep) -> BulkResult:
    """Create links from CSV (the export format works as is); one result per data row (index 0 is the first)."""
    try:
        items = parse_import(await request.body())
    except CsvInvalid as error:
        raise Problem(422, error.error_code, str(error)) from None
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
        )
    return _bulk_result(outcomes, settings)


@router.get("/{code}", response_model=LinkPublic, responses=problem_responses(*AUTH, 404, 422))
async def link(code: Code, principal: CurrentUser, stores: StoresDep, settings: SettingsDep) -> LinkPublic:
    return _public(await get_owned_link(stores.pool, code, principal), settings)


async def _update(
    code: str, changes: dict[str, Any], principal: Principal, stores: StoresDep, settings: AdminSettings
) -> LinkPublic:
    link = await update_link(
        pool=stores.pool, redis=stores.redis, keys=stores.keys, code=code, changes=changes, principal=principal
    )
    return _public(link, settings)


@router.patch("/{code}", response_model=LinkPublic, responses=problem_responses(*AUTH, 404, 413, 422))
async def change_link(
    code: Code, body: LinkUpdate, principal: CurrentUser, stores: StoresDep, settings: SettingsDep
) -> LinkPublic:
    """Change any field but the code; ``null`` clears expires_at, max_clicks and title."""
    changes = body.changes()
    if "target_url" in changes:
        changes["target_url"] = prepare_target(
            body, short_base=settings.short_base, blocked_domains=settings.blocked_domains
        )
    return await _update(code, changes, principal, stores, settings)


@router.post("/{code}/disable", response_model=LinkPublic, responses=problem_responses(*AUTH, 404, 422))
async def disable_link(code: Code, principal: CurrentUser, stores: StoresDep, settings: SettingsDep) -> LinkPublic:
    """Stop redirecting (the edge answers 404 within a second); the link and its data stay."""
    return await _update(code, {"disabled": True}, principal, stores, settings)


@router.post("/{code}/enable", response_model=LinkPublic, responses=problem_responses(*AUTH, 404, 422))
async def enable_link(code: Code, principal: CurrentUser, stores: StoresDep, settings: SettingsDep) -> LinkPublic:
    return await _update(code, {"disabled": False}, principal, stores, settings)


@router.delete("/{code}", status_code=204, response_class=Response, responses=problem_responses(*AUTH, 404, 422))
async def remove_link(code: Code, principal: CurrentUser, stores: StoresDep) -> Response:
    """Delete the link; the edge stops redirecting it within a second."""
    await delete_link(pool=stores.pool, redis=stores.redis, keys=stores.keys, code=code, principal=principal)
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
    code: Code,
    principal: CurrentUser,
    stores: StoresDep,
    settings: SettingsDep,
    format: Annotated[Literal["svg", "png"], Query()] = "svg",
    size: Annotated[int, Query(ge=MIN_SIZE, le=MAX_SIZE, description="Approximate width in pixels.")] = DEFAULT_SIZE,
) -> Response:
    """The QR code of the short URL, as SVG or PNG."""
    link = await get_owned_link(stores.pool, code, principal)
    image = render_qr(f"{settings.short_base}/{link.code}", fmt=format, size=size)
    return Response(image, media_type=MEDIA_TYPES[format], headers={"Cache-Control": "private, max-age=3600"})


__all__ = ["router"]
