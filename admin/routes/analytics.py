"""Click analytics: per link (totals, series, breakdowns, recent clicks, CSV) and per user.

Same rules as /links (a link is its code and its ``?domain=``, absent for the default domain): a
user reads only their own links' analytics (another user's link is a
404, as for the link itself); admins read any link's. The per-user overview covers the caller's
own links.

Ranges and series are exact in every time zone: [from, to) is taken as given (on a quarter hour),
and the series is made of the zone's local hours, days, weeks or months, DST changes included.

Counts come in three everywhere: ``clicks`` (humans only unless ``include_bots``, as ordering
and the visitors count use it), ``human_clicks`` and ``bot_clicks`` (always both). Clicks from
curl, scripts and crawlers are bots; they are never hidden from the split, so a link's
``click_count`` (every click) always equals ``human_clicks + bot_clicks`` over its whole life.

``visitors`` are distinct over whatever they are given for: a range, a series point, a link or an
account. A visitor is one IP address and user agent, counted once however many days or links they
come back to. They are counted with HyperLogLog sketches: exact up to a few hundred visitors, within
about 1.6 % (one standard error) past that.

``gaps`` lists the times when clicks may be missing: click stream entries that left Redis before
the worker counted them (admin.analytics.stream_gaps). The streams are shared, so a link's
analytics and the overview list the same gaps.

The queries read ``stores.reads``: a streaming replica when HOP_DATABASE_READ_URL names one (their
answers then as old as its lag), else the primary. Ownership checks read the primary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import date, datetime
from typing import Annotated, Any, Final, cast

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter

from admin import analytics
from admin.analytics import Interval, InvalidRange, Scope, TimeRange
from admin.auth.deps import AnalyticsRead, StoresDep
from admin.links import get_owned_link
from admin.problems import Problem, problem_responses
from admin.routes.links import LinkAt
from common.stores import Stores

router = APIRouter(tags=["analytics"])

AUTH = (401, 403)
_DATETIME: Final = TypeAdapter(datetime)
_DATE_LENGTH: Final = len("2026-03-01")
VISITORS: Final = (
    "Distinct visitors (one IP address and user agent, once however often they come back; humans only "
    "unless include_bots), estimated with HyperLogLog: exact up to a few hundred, within about 1.6 % past that,"
)


def _time_part_means_datetime(value: object) -> object:
    """A bound written with a time part is a datetime, also at midnight.

    Pydantic would read 2026-03-02T00:00:00Z as the date 2026-03-02, a whole day: as ``to`` it
    would then reach a day further than asked. Anything longer than a date carries a time part.
    """
    if isinstance(value, str) and len(value) > _DATE_LENGTH:
        return _DATETIME.validate_python(value)
    return value


From = Annotated[
    date | datetime | None,
    BeforeValidator(_time_part_means_datetime),
    Query(
        alias="from",
        description="Start, included: a local date (from its first instant) or an ISO datetime (without an "
        "offset: local to tz) on a quarter hour (:00, :15, :30 or :45, no seconds; else 422 invalid_range), "
        "used exactly as given. Default: 30 days before the end.",
    ),
]
To = Annotated[
    date | datetime | None,
    BeforeValidator(_time_part_means_datetime),
    Query(
        alias="to",
        description="End: a local date (included: up to the next local midnight) or an ISO datetime (excluded; "
        "without an offset: local to tz) on a quarter hour (:00, :15, :30 or :45, no seconds; else 422 "
        "invalid_range), used exactly as given. Default: now, rounded up to the quarter hour.",
    ),
]
Tz = Annotated[
    str,
    Query(
        max_length=64,
        description="IANA time zone of the dates and of the series' local hours, days, weeks and months, "
        "e.g. Europe/Berlin.",
    ),
]
IntervalOf = Annotated[
    Interval,
    Query(
        description="The series' buckets: local hours, days, weeks (from Monday) or months in tz, DST changes included."
    ),
]
IncludeBots = Annotated[bool, Query(description="Count clicks from crawlers and bots too.")]
Top = Annotated[int, Query(ge=1, le=100, description="Entries per breakdown.")]


class Counts(BaseModel):
    clicks: int = Field(description="Human clicks, plus bot clicks when include_bots is true.")
    human_clicks: int = Field(description="Clicks from browsers (whatever include_bots says).")
    bot_clicks: int = Field(
        description="Clicks from crawlers, scripts, curl and the like (whatever include_bots says)."
    )


class SeriesPoint(Counts):
    start: str = Field(
        description="The bucket's first instant in local time, ISO 8601 with its UTC offset; the offset tells "
        "the two passes of an hour repeated by a DST change apart (2026-11-01T01:00:00-04:00, then "
        "2026-11-01T01:00:00-05:00 in America/New_York)."
    )
    visitors: int = Field(description=VISITORS + " within this point.")


class ValueCount(Counts):
    value: str | None


class CityCount(Counts):
    city: str | None
    country: str | None


class RangeOut(BaseModel):
    start: datetime
    end: datetime
    tz: str
    interval: Interval


class StreamGap(BaseModel):
    """Click stream entries that left Redis before the worker counted them (a stream trimmed at its
    HOP_CLICK_STREAM_MAXLEN cap while the worker lagged, or Redis losing its data)."""

    start: datetime | None = Field(
        description="Clicks may be missing between start and end. The time of the last stream entry counted "
        "before the gap (UTC, Redis's clock); null when nothing had been counted yet, so the start is unknown."
    )
    end: datetime = Field(
        description="Clicks may be missing between start and end. The time of the first stream entry counted "
        "after the gap (UTC, Redis's clock)."
    )
    lost_entries: int | None = Field(
        description="Stream entries lost, each a batch of one or more clicks; null when Redis lost its data and "
        "the count with it."
    )
    detected_at: datetime = Field(description="When the worker found the gap.")


class Analytics(Counts):
    """Totals, a time series, top-N breakdowns and the times when clicks may be missing."""

    code: str | None = None
    domain: str | None = Field(None, description="The link's short domain; null: the default one (or no link).")
    click_count: int | None = Field(
        None, description="The link's all-time clicks, humans and bots (per-link analytics only)."
    )
    range: RangeOut
    total_clicks: int = Field(description="human_clicks + bot_clicks in the range.")
    visitors: int = Field(description=VISITORS + " in the range.")
    series: list[SeriesPoint]
    referrers: list[ValueCount]
    countries: list[ValueCount]
    cities: list[CityCount]
    browsers: list[ValueCount]
    os: list[ValueCount]
    devices: list[ValueCount]
    gaps: list[StreamGap] = Field(
        description="Times in the range when clicks may be missing (oldest first; the same for every link and "
        "account): the counts in this answer leave out whatever clicks these gaps took."
    )


class RouteCount(Counts):
    value: str = Field(
        description='The route: "rule:{name}" (a targeting rule), "variant:{name}" (a variant of the A/B split), '
        'or "" for the link\'s own target_url (visitors no rule matched while there was no split, and every click '
        "from before the link had rules or a split)."
    )


class LinkAnalytics(Analytics):
    """One link's analytics: those of every scope, and where its routing sent the clicks."""

    routes: list[RouteCount] = Field(
        description="Clicks per route taken, most clicked first (at most top): which rule or variant, or the link's "
        'own target (""). Names are those the rules and variants had when clicked.'
    )


class RecentClick(BaseModel):
    clicked_at: datetime
    country: str | None
    city: str | None
    browser: str | None
    os: str | None
    device: str | None
    referrer_host: str | None
    is_bot: bool
    route: str | None = Field(
        description="Which of a routed link's targets the click went to: rule:{name} or variant:{name}; "
        "null for the link's own target."
    )


class TopLink(Counts):
    code: str
    domain: str | None = Field(description="The link's short domain; null: the default one.")
    title: str | None
    target_url: str
    visitors: int = Field(description=VISITORS + " of this link in the range.")
    click_count: int = Field(description="The link's all-time clicks, humans and bots.")


def parse_range(start: date | datetime | None, end: date | datetime | None, tz: str) -> TimeRange:
    """The range asked for (see admin.analytics.resolve_range), or a 422 problem saying what is wrong."""
    try:
        return analytics.resolve_range(start=start, end=end, tz=tz)
    except InvalidRange as error:
        raise Problem(422, InvalidRange.error_code, str(error)) from None
    except OverflowError:  # the net under resolve_range's own bounds
        raise Problem(422, InvalidRange.error_code, "the range lies outside the calendar") from None


async def _analytics(
    stores: Stores, scope: Scope, rng: TimeRange, *, interval: Interval, include_bots: bool, top: int
) -> dict[str, Any]:
    pool = stores.reads  # a replica when HOP_DATABASE_READ_URL names one
    queries: list[Coroutine[Any, Any, Any]] = [
        analytics.time_series(pool, scope, rng, interval=interval, include_bots=include_bots),
        analytics.breakdowns(pool, scope, rng, include_bots=include_bots, limit=top),
        analytics.totals(pool, scope, rng, include_bots=include_bots),
        analytics.stream_gaps(pool, rng),
    ]
    if scope.link_id is not None:  # routes are a link's own breakdown
        queries.append(analytics.route_values(pool, scope.link_id, rng))
    # Side by side, each on connections of its own; every one is awaited to its end (no query left
    # running), then the first failure is raised as it is, for the error handlers to answer.
    answers = await asyncio.gather(*queries, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, InvalidRange):
            raise Problem(422, InvalidRange.error_code, str(answer)) from None
        if isinstance(answer, BaseException):
            raise answer
    series, parts, totals, gaps = cast(
        tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]], dict[str, int], list[dict[str, Any]]],
        tuple(answers[:4]),
    )
    result = {
        "range": {"start": rng.start, "end": rng.end, "tz": rng.tz_name, "interval": interval},
        **totals,
        "series": series,
        "referrers": parts["referrer"],
        "countries": parts["country"],
        "cities": parts["city"],
        "browsers": parts["browser"],
        "os": parts["os"],
        "devices": parts["device"],
        "gaps": gaps,
    }
    if scope.link_id is not None:
        routes = cast(list[dict[str, Any]], answers[4])
        result["routes"] = analytics.route_breakdown(routes, totals, include_bots=include_bots, limit=top)
    return result


@router.get("/links/{code}/analytics", response_model=LinkAnalytics, responses=problem_responses(*AUTH, 404, 422))
async def link_analytics(
    ref: LinkAt,
    principal: AnalyticsRead,
    stores: StoresDep,
    start: From = None,
    end: To = None,
    tz: Tz = "UTC",
    interval: IntervalOf = "day",
    include_bots: IncludeBots = False,
    top: Top = 10,
) -> dict[str, Any]:
    """Clicks, unique visitors, a time series and top referrers, countries, cities, browsers, OS, devices,
    and routes (the rules and variants of a routed link); and when clicks may be missing (gaps)."""
    link = await get_owned_link(stores.pool, ref.code, principal, ref.domain)
    rng = parse_range(start, end, tz)
    result = await _analytics(
        stores, Scope(link_id=link.id), rng, interval=interval, include_bots=include_bots, top=top
    )
    return {"code": link.code, "domain": link.domain, "click_count": link.click_count, **result}


@router.get("/links/{code}/clicks", response_model=list[RecentClick], responses=problem_responses(*AUTH, 404, 422))
async def link_recent_clicks(
    ref: LinkAt,
    principal: AnalyticsRead,
    stores: StoresDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    include_bots: IncludeBots = False,
) -> list[dict[str, Any]]:
    """The link's most recent clicks, newest first."""
    link = await get_owned_link(stores.pool, ref.code, principal, ref.domain)
    return await analytics.recent_clicks(stores.reads, link.id, include_bots=include_bots, limit=limit)


@router.get(
    "/links/{code}/clicks.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "Raw clicks as CSV."},
        **problem_responses(*AUTH, 404, 422),
    },
)
async def link_clicks_csv(
    ref: LinkAt, principal: AnalyticsRead, stores: StoresDep, start: From = None, end: To = None, tz: Tz = "UTC"
) -> StreamingResponse:
    """The link's raw clicks in the range (bots included, flagged), streamed as CSV."""
    link = await get_owned_link(stores.pool, ref.code, principal, ref.domain)
    rng = parse_range(start, end, tz)
    # A host's port colon is no character for a file name.
    name = link.code if link.domain is None else f"{link.domain.replace(':', '_')}-{link.code}"
    return StreamingResponse(
        analytics.export_clicks(stores.reads, link.id, rng),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="clicks-{name}.csv"'},
    )


@router.get("/analytics/overview", response_model=Analytics, responses=problem_responses(*AUTH, 422))
async def overview(
    principal: AnalyticsRead,
    stores: StoresDep,
    start: From = None,
    end: To = None,
    tz: Tz = "UTC",
    interval: IntervalOf = "day",
    include_bots: IncludeBots = False,
    top: Top = 10,
) -> dict[str, Any]:
    """The same analytics across all of the caller's links."""
    rng = parse_range(start, end, tz)
    return await _analytics(
        stores, Scope(owner_id=principal.id), rng, interval=interval, include_bots=include_bots, top=top
    )


@router.get("/analytics/top-links", response_model=list[TopLink], responses=problem_responses(*AUTH, 422))
async def top_links(
    principal: AnalyticsRead,
    stores: StoresDep,
    start: From = None,
    end: To = None,
    tz: Tz = "UTC",
    include_bots: IncludeBots = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, Any]]:
    """The caller's most clicked links in the range."""
    rng = parse_range(start, end, tz)
    return await analytics.top_links(stores.reads, principal.id, rng, include_bots=include_bots, limit=limit)
