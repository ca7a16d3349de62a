"""Planning and applying imports against real Postgres and Redis: what each row becomes, that a dry
run writes nothing, that running an import again creates nothing twice, and that two imports of
the same file at once create each link once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from admin.audit import CLI, Actor
from admin.importers import bitly, yourls
from admin.importers.plan import ImportReport, ImportScope, RowResult, apply_plan, plan_import
from admin.importers.reading import API_LIMITS
from admin.importers.rows import ImportedLink, Parsed
from admin.links import get_link
from admin.users import create_user
from common.settings import Settings
from common.stores import Stores, open_stores
from tests.admin.api import PASSWORD
from tests.admin.importers.fixtures import fixture
from tests.conftest import SettingsFactory
from tests.helpers import add_link

# The Bitly fixture, row by row (tests/admin/importers/fixtures/bitly.csv).
BITLY_OUTCOMES = {
    2: "would_create",
    3: "would_create",
    4: "would_create",
    5: "invalid",  # javascript:
    6: "invalid",  # not a URL
    7: "already_present",  # row 2 again
    8: "conflict",  # row 2's code, another target
    9: "invalid",  # summer.sale: not a Hop code
    10: "invalid",  # not UTF-8
    11: "would_create",  # a formula as title: kept as text
    12: "invalid",  # "api" is reserved
    13: "invalid",  # negative clicks
    14: "invalid",  # a 9,000-character target
}


def outcomes(report: ImportReport) -> dict[int, str]:
    return {row.row: row.outcome for row in report.rows}


def row(report: ImportReport, number: int) -> RowResult:
    return next(result for result in report.rows if result.row == number)


async def link_count(stores: Stores) -> int:
    return int(await stores.pool.fetchval("SELECT count(*) FROM links"))


async def run(
    stores: Stores,
    settings: Settings,
    parsed: Parsed,
    *,
    owner_id: int | None = None,
    dry_run: bool = False,
    actor: Actor | None = None,
) -> ImportReport:
    scope = ImportScope.of(settings, owner_id)
    plan = await plan_import(parsed, pool=stores.pool, scope=scope)
    return plan.preview() if dry_run else await apply_plan(plan, stores=stores, scope=scope, actor=actor)


async def test_a_dry_run_reports_every_row_and_writes_nothing(stores: Stores, settings: Settings) -> None:
    report = await run(stores, settings, bitly.parse(fixture("bitly.csv"), API_LIMITS), dry_run=True)
    assert report.dry_run
    assert outcomes(report) == BITLY_OUTCOMES
    assert row(report, 5).error_code == "scheme"
    assert row(report, 9).error_code == "invalid_code"
    assert "not renamed" in (row(report, 9).reason or "")
    assert row(report, 12).error_code == "code_reserved"
    assert row(report, 8).reason == "row 2 has this code with another target; only the first is imported"
    assert row(report, 2).imported_clicks == 1234
    assert report.failed
    assert await link_count(stores) == 0
    assert await stores.redis.get(stores.keys.link("3xYzAbC")) is None


async def test_an_import_keeps_what_the_source_knew_and_reaches_the_edge(stores: Stores, settings: Settings) -> None:
    report = await run(stores, settings, bitly.parse(fixture("bitly.csv"), API_LIMITS), actor=CLI)
    assert not report.dry_run
    assert {number: outcome for number, outcome in outcomes(report).items() if outcome == "created"} == {
        2: "created",
        3: "created",
        4: "created",
        11: "created",
    }
    spring = await get_link(stores.pool, "3xYzAbC")
    assert (spring.target_url, spring.title, spring.tags) == (
        "https://example.com/spring?utm_source=bitly",
        "Spring sale",
        ["newsletter", "spring"],
    )
    assert spring.created_at == datetime(2023, 5, 10, 14, 21, 33, tzinfo=UTC)
    assert (spring.imported_clicks, spring.click_count) == (1234, 0)
    assert (await get_link(stores.pool, "summer-offer")).imported_clicks == 17
    formula = await get_link(stores.pool, "3formula")
    assert (formula.title, formula.tags) == ('=HYPERLINK("http://evil.example/","click")', ["@cmd"])
    # Written through to the edge's Redis like any created link.
    record = await stores.redis.get(stores.keys.link("3xYzAbC"))
    assert record is not None and b"example.com/spring" in record
    assert await link_count(stores) == 4
    # Each created link has its audit entry, as every link the bulk path creates.
    audited = await stores.pool.fetch("SELECT entity_code FROM audit_log WHERE action = 'link.import'")
    assert sorted(entry["entity_code"] for entry in audited) == ["3formula", "3xYzAbC", "docs-home", "summer-offer"]


async def test_importing_again_creates_nothing_twice(stores: Stores, settings: Settings) -> None:
    parsed = yourls.parse_sql(fixture("yourls_url.sql"), API_LIMITS)
    first = await run(stores, settings, parsed)
    created = first.count("created")
    assert created == 5  # 1, ozh, multi, zero, semi
    again = await run(stores, settings, parsed)
    assert again.count("created") == 0
    assert again.count("already_present") == created + 1  # and row 9, ozh once more
    assert {r.row for r in again.rows if r.outcome == "already_present"} == {1, 2, 3, 4, 8, 9}
    assert await link_count(stores) == created
    zero = await get_link(stores.pool, "zero")
    assert zero.created_at.year == datetime.now(UTC).year  # the zero date: unknown, so now


async def test_a_code_that_holds_another_link_is_a_conflict_and_stays(stores: Stores, settings: Settings) -> None:
    bob = await create_user(pool=stores.pool, email="bob@example.com", password=PASSWORD)
    alice = await create_user(pool=stores.pool, email="alice@example.com", password=PASSWORD)
    await add_link(stores, settings, "https://example.com/mine", code="mine", owner_id=alice.id)
    await add_link(stores, settings, "https://example.com/bobs-secret", code="bobs", owner_id=bob.id)
    await add_link(stores, settings, "https://example.com/same", code="same", owner_id=bob.id)
    parsed = Parsed(
        links=[
            ImportedLink(row=1, code="mine", target="https://example.com/other"),
            ImportedLink(row=2, code="bobs", target="https://example.com/alices"),
            ImportedLink(row=3, code="same", target="https://example.com/same"),
            ImportedLink(row=4, code="new", target="https://EXAMPLE.com/new", clicks=3),
        ]
    )
    report = await run(stores, settings, parsed, owner_id=alice.id)
    assert outcomes(report) == {1: "conflict", 2: "conflict", 3: "conflict", 4: "created"}
    assert row(report, 1).reason == "the code is in use by your link to https://example.com/mine; not overwritten"
    # Another account's link: the code is taken, and nothing says where it points.
    assert row(report, 2).reason == "the code is in use by another link; not overwritten"
    assert "bobs-secret" not in str(report)
    # The same target, but Bob's link: not Alice's to count as imported.
    assert row(report, 3).outcome == "conflict"
    assert (await get_link(stores.pool, "mine")).target_url == "https://example.com/mine"
    assert (await get_link(stores.pool, "bobs")).owner_id == bob.id
    new = await get_link(stores.pool, "new")
    assert (new.owner_id, new.target_url) == (alice.id, "https://example.com/new")
    # Compared after normalisation: the same target written differently is the same link.
    again = await run(stores, settings, parsed, owner_id=alice.id)
    assert row(again, 4).outcome == "already_present"


async def test_expired_links_and_blocked_targets_are_invalid(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(blocked_domains="blocked.example")
    parsed = Parsed(
        links=[
            ImportedLink(row=1, code="blocked", target="https://www.blocked.example/x"),
            ImportedLink(row=2, code="old", target="https://example.com/", expires_at=datetime(2020, 1, 1, tzinfo=UTC)),
            ImportedLink(row=3, code="tags", target="https://example.com/", tags=("a,b",)),
        ]
    )
    async with open_stores(settings) as stores:
        report = await run(stores, settings, parsed, dry_run=True)
    assert outcomes(report) == {1: "invalid", 2: "invalid", 3: "invalid"}
    assert row(report, 1).error_code == "blocked_domain"
    assert row(report, 2).error_code == "expired"
    assert "a tag cannot contain a comma" in (row(report, 3).reason or "")


async def test_two_imports_of_the_same_file_at_once_create_each_link_once(stores: Stores, settings: Settings) -> None:
    parsed = Parsed(
        links=[ImportedLink(row=n, code=f"race{n}", target=f"https://example.com/{n}", clicks=n) for n in range(1, 301)]
    )
    scope = ImportScope.of(settings, None)
    # Both plan before either writes: each believes every code is free.
    plans = [await plan_import(parsed, pool=stores.pool, scope=scope) for _ in range(2)]
    reports = await asyncio.gather(*(apply_plan(plan, stores=stores, scope=scope, actor=None) for plan in plans))
    assert sum(report.count("created") for report in reports) == 300
    assert sum(report.count("already_present") for report in reports) == 300
    assert not any(report.failed for report in reports)
    assert await link_count(stores) == 300
