"""What an import does with each row, decided before anything is written, then done.

``plan_import`` validates every parsed link as the bulk create does (admin/links_bulk.py:
LinkCreate, the target's normalisation and blocked domains, reserved codes) and looks up which
codes exist on the link's short domain. A link keeps the domain the source names: Hop's default
domain when the source names none, or names Hop's default host; a domain Hop does not have makes
the row ``invalid``, never a link on another domain. A row becomes one outcome:

- ``would_create``: new; ``apply_plan`` creates it (``created``) through ``create_links_bulk``,
  the same insert, audit and edge write-through as POST /links/bulk, keeping its created date and
  click total (``History``);
- ``already_present``: its code exists (on its domain) with the same normalised target and owner, imported before
  (or the same row twice in the file): skipped, which is what makes running an import again safe;
- ``conflict``: its code exists with another target or owner (or an earlier row of the file has
  it): reported, never overwritten;
- ``invalid``: the parser or the validation refused it (a code Hop cannot hold is reported, never
  renamed);
- ``failed``: valid, but not created (over the creation rate limit).

Two imports of the same file at once both plan to create the same codes; the unique index on
links.edge_key (domain and code) lets one insert each, and the other's ON CONFLICT DO NOTHING makes it look again:
its rows come out ``already_present`` (or ``conflict``), never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import asyncpg

from admin.audit import Actor
from admin.domains import ShortDomains, UnknownDomain, short_domains
from admin.importers.rows import ImportedLink, Parsed, RowProblem, shown
from admin.links import CodeTaken, Link
from admin.links_bulk import MAX_BULK, History, ItemFailure, ValidItem, create_links_bulk, validate_item
from common.domains import edge_key
from common.records import CODE_RE
from common.settings import AdminSettings
from common.stores import Stores

Outcome = Literal["would_create", "created", "already_present", "conflict", "invalid", "failed"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# Outcomes that make an import (or its dry run) unsuccessful: the CLI's exit status 1.
FAILURES: frozenset[Outcome] = frozenset({"conflict", "invalid", "failed"})
IMPORT_ACTION = "link.import"


@dataclass(frozen=True, slots=True)
class RowResult:
    """One row of the export and what became (or would become) of it."""

    row: int
    outcome: Outcome
    code: str | None = None
    domain: str | None = None  # the link's short domain (None: the default one), as the source named it if invalid
    target_url: str | None = None
    title: str | None = None
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    imported_clicks: int | None = None
    error_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Every row's result, in the export's order."""

    dry_run: bool
    rows: list[RowResult]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def failed(self) -> bool:
        return any(row.outcome in FAILURES for row in self.rows)


@dataclass(frozen=True, slots=True)
class ImportScope:
    """Whose the imported links become (None: nobody's, as `hop link add` makes them) and the
    instance's rules for links."""

    owner_id: int | None
    short_base: str
    blocked_domains: list[str]
    code_length: int

    @classmethod
    def of(cls, settings: AdminSettings, owner_id: int | None) -> ImportScope:
        return cls(owner_id, settings.short_base, settings.blocked_domains, settings.code_length)


@dataclass(frozen=True, slots=True)
class _New:
    row: int
    item: ValidItem  # its domain as stored
    link: ImportedLink

    @property
    def key(self) -> str:
        """Where the link would live: its edge key (common.domains.edge_key)."""
        return edge_key(self.item.link_in.domain, self.link.code)


@dataclass(slots=True)
class Plan:
    """The outcome of each row that is decided, and the new links to create."""

    decided: list[RowResult] = field(default_factory=list)
    new: list[_New] = field(default_factory=list)

    def report(self, extra: Sequence[RowResult] = ()) -> ImportReport:
        return ImportReport(dry_run=False, rows=sorted([*self.decided, *extra], key=lambda result: result.row))

    def preview(self) -> ImportReport:
        """The dry run's report: every new link as ``would_create``."""
        would = [_result(new, "would_create") for new in self.new]
        return ImportReport(dry_run=True, rows=self.report(would).rows)


@dataclass(frozen=True, slots=True)
class _Existing:
    target_url: str
    owner_id: int | None


async def plan_import(parsed: Parsed, *, pool: asyncpg.Pool, scope: ImportScope) -> Plan:
    """The plan for ``parsed``: validation, duplicates within the file, codes already in use. Writes nothing."""
    plan = Plan(decided=[_invalid_row(problem) for problem in parsed.problems])
    first: dict[str, _New] = {}
    now = datetime.now(UTC)
    domains = await short_domains(pool, scope.short_base)
    for link in parsed.links:
        outcome = _checked(link, scope=scope, domains=domains, now=now)
        if isinstance(outcome, RowResult):
            plan.decided.append(outcome)
        elif outcome.key in first:
            plan.decided.append(_repeated(outcome, first[outcome.key]))
        else:
            first[outcome.key] = outcome
    existing = await _existing(pool, list(first))
    for key, new in first.items():
        decided = _against(existing.get(key), new, scope.owner_id)
        if decided is None:
            plan.new.append(new)
        else:
            plan.decided.append(decided)
    return plan


async def apply_plan(
    plan: Plan,
    *,
    stores: Stores,
    scope: ImportScope,
    actor: Actor | None,
    allowed: int | None = None,
    over_limit: ItemFailure | None = None,
) -> ImportReport:
    """Create the plan's new links, at most ``allowed`` of them (the rest fail with ``over_limit``),
    ``MAX_BULK`` per round, each round committed with its audit entries and pushed to the edge."""
    wanted = plan.new if allowed is None else plan.new[:allowed]
    results = [_failed(new, over_limit) for new in plan.new[len(wanted) :]]
    for start in range(0, len(wanted), MAX_BULK):
        results += await _create(wanted[start : start + MAX_BULK], stores=stores, scope=scope, actor=actor)
    return plan.report(results)


async def _create(batch: list[_New], *, stores: Stores, scope: ImportScope, actor: Actor | None) -> list[RowResult]:
    outcomes = await create_links_bulk(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        items=[new.item.link_in for new in batch],
        owner_id=scope.owner_id,
        short_base=scope.short_base,
        blocked_domains=scope.blocked_domains,
        code_length=scope.code_length,
        actor=actor,
        action=IMPORT_ACTION,
        history=[_history(new.link) for new in batch],
    )
    results: list[RowResult] = []
    raced: list[_New] = []
    for new, outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, Link):
            results.append(_result(new, "created", target_url=outcome.target_url))
        elif outcome.code == CodeTaken.error_code:
            raced.append(new)
        else:
            results.append(_failed(new, outcome))
    return results + await _settle(raced, pool=stores.pool, scope=scope)


async def _settle(raced: list[_New], *, pool: asyncpg.Pool, scope: ImportScope) -> list[RowResult]:
    """Rows whose code another writer took between the plan and the insert (a concurrent import
    of the same file, most likely): judged again against what is there now."""
    if not raced:
        return []
    existing = await _existing(pool, [new.key for new in raced])
    return [
        _against(existing.get(new.key), new, scope.owner_id)
        or _failed(new, ItemFailure(CodeTaken.error_code, "the code was taken and freed again meanwhile; import again"))
        for new in raced
    ]


def _checked(link: ImportedLink, *, scope: ImportScope, domains: ShortDomains, now: datetime) -> _New | RowResult:
    """The link validated as a new one, or its ``invalid`` result."""
    if not CODE_RE.fullmatch(link.code):
        return _invalid(
            link,
            "invalid_code",
            f"the code {shown(link.code)!r} is not one Hop can hold (1 to 64 letters, digits, _ or -); "
            "it is not renamed: change it in the export to import the link",
        )
    if link.expires_at is not None and link.expires_at <= now:
        return _invalid(link, "expired", f"expired on {link.expires_at.isoformat()}; it would redirect again in Hop")
    try:
        domain = domains.stored(link.domain)
    except UnknownDomain:
        return _invalid(
            link,
            UnknownDomain.error_code,
            f"its domain {shown(link.domain)!r} is not one of Hop's short domains: an admin can add it "
            "(Domains, or POST /api/v1/domains), then import again; it is not moved to another domain",
        )
    outcome = validate_item(
        _link_create(link, domain),
        domains=domains,
        short_base=scope.short_base,
        blocked_domains=scope.blocked_domains,
        seen=set(),
    )
    if isinstance(outcome, ItemFailure):
        return _invalid(link, outcome.code, outcome.detail)
    return _New(link.row, outcome, link)


def _link_create(link: ImportedLink, domain: str | None) -> dict[str, Any]:
    # A dict, not a LinkCreate: validate_item turns a validation error into a reason for the row.
    return {
        "target_url": link.target,
        "code": link.code,
        "domain": domain,
        "title": link.title,
        "tags": list(link.tags),
        "expires_at": link.expires_at,
    }


def _repeated(new: _New, first: _New) -> RowResult:
    if new.item.target_url == first.item.target_url:
        return _result(new, "already_present", reason=f"the same link as row {first.row}")
    return _result(
        new,
        "conflict",
        error_code=CodeTaken.error_code,
        reason=f"row {first.row} has this code with another target; only the first is imported",
    )


def _against(existing: _Existing | None, new: _New, owner_id: int | None) -> RowResult | None:
    """The row's outcome given the link that holds its code (None: the code is free)."""
    if existing is None:
        return None
    if existing.owner_id == owner_id and existing.target_url == new.item.target_url:
        return _result(new, "already_present", reason="this link exists already (imported before): skipped")
    # Another account's link: say that the code is taken (as creating it would), never where it points.
    holder = f"your link to {shown(existing.target_url)}" if existing.owner_id == owner_id else "another link"
    return _result(
        new, "conflict", error_code=CodeTaken.error_code, reason=f"the code is in use by {holder}; not overwritten"
    )


async def _existing(pool: asyncpg.Pool, edge_keys: list[str]) -> dict[str, _Existing]:
    """The links that hold ``edge_keys`` (common.domains.edge_key), by edge key."""
    if not edge_keys:
        return {}
    rows = await pool.fetch(
        "SELECT edge_key, target_url, owner_id FROM links WHERE edge_key = ANY($1::text[])", edge_keys
    )
    return {row["edge_key"]: _Existing(row["target_url"], row["owner_id"]) for row in rows}


def _history(link: ImportedLink) -> History:
    return History(created_at=link.created_at, imported_clicks=link.clicks)


def _result(new: _New, outcome: Outcome, **details: Any) -> RowResult:
    link_in = new.item.link_in
    values: dict[str, Any] = {
        "code": new.link.code,
        "domain": link_in.domain,
        "target_url": new.item.target_url,
        "title": link_in.title,
        "tags": tuple(link_in.tags),
        "created_at": new.link.created_at,
        "imported_clicks": new.link.clicks,
    }
    return RowResult(row=new.row, outcome=outcome, **(values | details))


def _failed(new: _New, failure: ItemFailure | None) -> RowResult:
    failure = failure or ItemFailure("not_created", "not created")
    return _result(new, "failed", error_code=failure.code, reason=failure.detail)


def _invalid(link: ImportedLink, error_code: str, reason: str) -> RowResult:
    return RowResult(
        row=link.row,
        outcome="invalid",
        code=shown(link.code),
        domain=shown(link.domain) or None,
        target_url=shown(link.target),
        error_code=error_code,
        reason=reason,
    )


def _invalid_row(problem: RowProblem) -> RowResult:
    return RowResult(
        row=problem.row,
        outcome="invalid",
        code=problem.code,
        target_url=problem.target,
        error_code=problem.error_code,
        reason=problem.reason,
    )
