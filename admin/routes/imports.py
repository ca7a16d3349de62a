"""/imports: links from another shortener's export (Bitly, Shlink, Kutt, YOURLS), with a dry run.

The links become the caller's. Running the same import again creates nothing twice: a row whose
code exists with the same target is reported as already present, one whose code holds another
link as a conflict (admin/importers/plan.py). Creation counts against the caller's link creation
limit like POST /links/bulk; a dry run counts nothing and writes nothing.

Files only: Shlink's REST API is read by `hop import shlink-api` on the command line, never from
here, where fetching a URL the caller names would be a server-side request forgery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from admin.auth.deps import LinksWrite, SettingsDep, StoresDep
from admin.importers.plan import OUTCOMES, ImportReport, ImportScope, Outcome, RowResult, apply_plan, plan_import
from admin.importers.reading import API_LIMITS
from admin.importers.rows import Parsed, SourceInvalid, SourceTooLarge
from admin.importers.sources import DESCRIPTIONS, FILE_SOURCES, FileSource, parse
from admin.links_bulk import ItemFailure
from admin.links_csv import CsvInvalid
from admin.problems import Problem, problem_responses
from admin.routes.audit import RequestActor
from admin.routes.links import (
    IMPORT_FIELD,
    RATE_LIMITED,
    ItemError,
    import_body,
    rate_limited,
    take_quota,
    upload_request_body,
)

router = APIRouter(prefix="/imports", tags=["imports"])

AUTH = (401, 403)


class ImportCounts(BaseModel):
    """Rows per outcome; a dry run has would_create where an import has created."""

    would_create: int
    created: int
    already_present: int
    conflict: int
    invalid: int
    failed: int


class ImportRow(BaseModel):
    row: int = Field(
        description="Where the row stands in the export: a CSV's line as a spreadsheet numbers it (the header is "
        "row 1), a SQL dump's value tuple or a JSON list's item (from 1)."
    )
    outcome: Outcome = Field(
        description="would_create (dry run) or created; already_present (same code and target exist: skipped); "
        "conflict (the code holds another link: not overwritten); invalid (refused, see error); failed (valid but "
        "not created, e.g. over the link creation limit)."
    )
    code: str | None
    domain: str | None = Field(
        None,
        description="The link's short domain (null: the default one); as the export has it when the row is invalid.",
    )
    target_url: str | None = Field(description="Normalised when the row is valid, else as the export has it.")
    title: str | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime | None = Field(None, description="The created date the link keeps (null: now).")
    imported_clicks: int | None = Field(None, description="The source's click total, kept as imported_clicks.")
    error: ItemError | None = None


class ImportReportPublic(BaseModel):
    source: FileSource
    dry_run: bool
    counts: ImportCounts
    rows: list[ImportRow] = Field(description="One per row of the export, in its order.")


def _row(result: RowResult) -> ImportRow:
    error = None if result.error_code is None else ItemError(code=result.error_code, detail=result.reason or "")
    return ImportRow(
        row=result.row,
        outcome=result.outcome,
        code=result.code,
        domain=result.domain,
        target_url=result.target_url,
        title=result.title,
        tags=list(result.tags),
        created_at=result.created_at,
        imported_clicks=result.imported_clicks,
        error=error,
    )


def report_public(report: ImportReport, source: FileSource) -> ImportReportPublic:
    counts = ImportCounts(**{outcome: report.count(outcome) for outcome in OUTCOMES})
    return ImportReportPublic(
        source=source, dry_run=report.dry_run, counts=counts, rows=[_row(result) for result in report.rows]
    )


async def _parsed(request: Request, source: FileSource) -> Parsed:
    try:
        data = await import_body(request)
        # Reading a 4 MiB export takes a CPU-bound moment: off the event loop.
        return await run_in_threadpool(parse, source, data, API_LIMITS)
    except SourceTooLarge as error:
        raise Problem(413, error.error_code, str(error)) from None
    except (SourceInvalid, CsvInvalid) as error:
        raise Problem(422, SourceInvalid.error_code, str(error)) from None


_SOURCES_HELP = "; ".join(f"`{name}`: {DESCRIPTIONS[name]}" for name in FILE_SOURCES)


@router.post(
    "",
    response_model=ImportReportPublic,
    responses=problem_responses(*AUTH, 413, 422, 429),
    openapi_extra=upload_request_body(
        f"The export file, at most {API_LIMITS.max_rows:,} rows and 4 MiB: either the raw file as the body, "
        f"or a multipart form with it in the `{IMPORT_FIELD}` field (`curl -F {IMPORT_FIELD}=@export.csv`). "
        "UTF-8 (a BOM is fine; UTF-16 with a BOM is read too); rows with bytes that are not UTF-8 are "
        "reported one by one.",
        raw={
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {}},
            "application/sql": {"schema": {"type": "string"}},
        },
    ),
)
async def import_links(
    request: Request,
    response: Response,
    principal: LinksWrite,
    actor: RequestActor,
    stores: StoresDep,
    settings: SettingsDep,
    source: Annotated[FileSource, Query(description=f"The export's format. {_SOURCES_HELP}.")],
    dry_run: Annotated[
        bool, Query(description="Report what the import would do, writing nothing and counting no links.")
    ] = False,
) -> ImportReportPublic:
    """Import links from another shortener's export, keeping their codes, targets, titles, tags,
    created dates and click totals (as ``imported_clicks``); one result per row.

    Idempotent: rows already imported come back ``already_present``. A code that holds another link is
    a ``conflict`` and is never overwritten; a code Hop cannot hold is ``invalid``, never renamed. A
    file that cannot be read at all is a 422 problem (``invalid_import``), one over the limits a 413."""
    parsed = await _parsed(request, source)
    scope = ImportScope.of(settings, principal.id)
    plan = await plan_import(parsed, pool=stores.pool, scope=scope)
    if dry_run:
        return report_public(plan.preview(), source)
    grant = await take_quota(stores, settings, user_id=principal.id, wanted=len(plan.new))
    if grant.granted == 0 and plan.new:
        raise rate_limited(grant)
    retry_after = max(1, grant.retry_after)
    if grant.granted < len(plan.new):
        response.headers["Retry-After"] = str(retry_after)
    report = await apply_plan(
        plan,
        stores=stores,
        scope=scope,
        actor=actor,
        allowed=grant.granted,
        over_limit=ItemFailure(RATE_LIMITED, f"over the link creation limit; retry in {retry_after} s"),
    )
    return report_public(report, source)


__all__ = ["router"]
