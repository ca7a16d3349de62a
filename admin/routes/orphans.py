"""Orphan visits: the requests the edge answered 404 (admin/orphans.py), for admins.

Shlink's name and kinds: ``base_url`` (the bare short domain), ``invalid_short_url`` (one segment
shaped like a code the edge does not serve: unknown, deleted, disabled, expired or used up) and
``regular_404`` (any other path). Paths are shown as visitors sent them, percent-encoded, with the
short domain they came to (null: the default one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from admin.analytics import InvalidRange
from admin.auth.deps import AdminUser, SettingsDep, StoresDep
from admin.domains import lookup_domain
from admin.orphans import orphan_visits
from admin.problems import Problem, problem_responses
from admin.routes.analytics import AUTH, From, IntervalOf, RangeOut, To, Top, Tz, parse_range
from common.records import OrphanKind

router = APIRouter(tags=["analytics"])


class OrphanKinds(BaseModel):
    base_url: int = Field(description="Visits to the bare short domain (/).")
    invalid_short_url: int = Field(
        description="Visits to one path segment shaped like a code that does not redirect (unknown, deleted, "
        "disabled, expired or used up)."
    )
    regular_404: int = Field(description="Visits to any other path.")


class OrphanPoint(BaseModel):
    start: str = Field(description="The bucket's first instant in local time, ISO 8601 with its UTC offset.")
    visits: int


DOMAIN_HELP = (
    "The short domain the visits came to; null: the default one (or a Host that is no short domain, which the "
    "edge serves as the default one)."
)


class OrphanPath(BaseModel):
    domain: str | None = Field(description=DOMAIN_HELP)
    path: str = Field(description="As the visitor sent it, percent-encoded, without the query.")
    kind: OrphanKind
    visits: int
    last_visited_at: datetime


class OrphanVisit(BaseModel):
    visited_at: datetime
    domain: str | None = Field(description=DOMAIN_HELP)
    kind: OrphanKind
    path: str
    referrer_host: str | None
    country: str | None
    browser: str | None
    os: str | None
    device: str | None
    is_bot: bool


class OrphanVisits(BaseModel):
    """Requests the edge answered 404 in the range, bots included (most orphan visits are scanners)."""

    range: RangeOut
    total: int
    bot_visits: int = Field(description="Of total, from crawlers, scanners, scripts and the like.")
    by_kind: OrphanKinds
    series: list[OrphanPoint]
    paths: list[OrphanPath] = Field(description="The most visited paths, most visits first.")
    recent: list[OrphanVisit] = Field(description="The latest visits in the range, newest first (50 at most).")


@router.get("/analytics/orphan-visits", response_model=OrphanVisits, responses=problem_responses(*AUTH, 422))
async def list_orphan_visits(
    principal: AdminUser,
    stores: StoresDep,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
    tz: Tz = "UTC",
    interval: IntervalOf = "day",
    top: Top = 10,
    domain: Annotated[
        str | None,
        Query(
            max_length=300,
            description="Only the visits to this short domain (empty: the default one's); absent: every domain's.",
        ),
    ] = None,
) -> dict[str, Any]:
    """Requests for the bare domain, codes that do not redirect and other paths, which the edge answered
    404 (admins only; at most HOP_EDGE_ORPHAN_VISITS_PER_SECOND per edge process are recorded)."""
    rng = parse_range(start, end, tz)
    # As stored: '' for the default domain.
    stored = None if domain is None else (lookup_domain(domain, settings.short_base) or "")
    try:
        visits = await orphan_visits(stores.reads, rng, interval=interval, top=top, domain=stored)
    except InvalidRange as error:
        raise Problem(422, InvalidRange.error_code, str(error)) from None
    return {"range": {"start": rng.start, "end": rng.end, "tz": rng.tz_name, "interval": interval}, **visits}
