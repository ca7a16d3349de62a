"""The links service: Postgres first (the truth), then write-through to Redis for the edge.

The CLI and the admin API both call these functions; none of them knows about HTTP.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from admin.audit import Actor, changed, record
from admin.auth.principal import Principal
from admin.domains import ShortDomains, UnknownDomain, short_url
from admin.link_metadata import (
    METADATA_COLUMNS,
    PREVIEW_HELP,
    UPDATE_PREVIEW_HELP,
    UPDATE_UTM_HELP,
    UTM_HELP,
    LinkPreview,
    Utm,
    destination_of,
    metadata_columns,
    preview_of,
    utm_of,
)
from admin.link_routing import (
    ROUTING_COLUMNS,
    RULES_HELP,
    UPDATE_RULES_HELP,
    UPDATE_VARIANTS_HELP,
    VARIANTS_HELP,
    Rules,
    TargetingRule,
    Variant,
    Variants,
    check_routed_targets,
    routing_columns,
    rules_of,
    variants_of,
)
from admin.targets import normalize_target, short_domain
from admin.text import PlainText, no_control_characters
from common.db import Executor, Row
from common.domains import edge_key
from common.edge_sync import sync_links
from common.link_passwords import MAX_LINK_PASSWORD_LENGTH, MIN_LINK_PASSWORD_LENGTH, hash_link_password
from common.records import Keys
from common.redis import RedisClient
from common.settings import RedirectStatus

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# Paths the edge or the admin domain answers itself, and words people would mistake for pages.
RESERVED_CODES = frozenset(
    {
        "api",
        "admin",
        "docs",
        "redoc",
        "openapi.json",
        "healthz",
        "readyz",
        "metrics",
        "robots.txt",
        "favicon.ico",
        "login",
        "logout",
        "static",
        "assets",
        "well-known",
        ".well-known",
    }
)
GENERATE_ATTEMPTS = 5
MAX_TAGS = 32
CREATE_EXPIRY_HINT = "a link must expire after it is created (leave expires_at out for no expiry)"
UPDATE_EXPIRY_HINT = "to stop a link now, disable it (POST /links/{code}/disable) or delete it"


class LinkError(Exception):
    """Base of the links service's errors; each carries a stable ``error_code``."""

    error_code = "link_error"


def _on(domain: str | None) -> str:
    """ " on {domain}" for a link on another domain than the default one, for messages."""
    return "" if domain is None else f" on {domain}"


class CodeTaken(LinkError):
    error_code = "code_taken"

    def __init__(self, code: str, domain: str | None = None) -> None:
        super().__init__(f"the short code {code!r} is already in use{_on(domain)}")
        self.code = code


class CodeReserved(LinkError):
    error_code = "code_reserved"

    def __init__(self, code: str) -> None:
        super().__init__(f"the short code {code!r} is reserved")
        self.code = code


class TooManyTags(LinkError):
    error_code = "too_many_tags"

    def __init__(self, code: str) -> None:
        super().__init__(f"the link {code!r} would have more than {MAX_TAGS} tags")
        self.code = code


class LinkNotFound(LinkError):
    error_code = "link_not_found"

    def __init__(self, code: str, domain: str | None = None) -> None:
        super().__init__(f"no link with the short code {code!r}{_on(domain)}")
        self.code = code


def _check_expiry(value: datetime | None, *, hint: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("expires_at needs a time zone (e.g. 2026-12-31T23:59:00Z)")
    # A past expiry is a typo (year, time zone) far more often than an intent, and it would be silent:
    # the link would look fine in every listing yet never redirect.
    if value <= datetime.now(UTC):
        raise ValueError(f"expires_at {value.isoformat()} is not in the future; {hint}")
    return value


def _password_length(value: SecretStr) -> SecretStr:
    # Pydantic's own length message speaks of "items" for a SecretStr; this one says what to do.
    length = len(value.get_secret_value())
    if length < MIN_LINK_PASSWORD_LENGTH:
        raise ValueError(f"a link password needs at least {MIN_LINK_PASSWORD_LENGTH} characters")
    if length > MAX_LINK_PASSWORD_LENGTH:
        raise ValueError(f"a link password has at most {MAX_LINK_PASSWORD_LENGTH} characters")
    return value


# A SecretStr, so that the password shows as '**********' in every repr, log line and error.
LinkPassword = Annotated[
    SecretStr,
    AfterValidator(_password_length),
    WithJsonSchema(
        {
            "type": "string",
            "format": "password",
            "writeOnly": True,
            "minLength": MIN_LINK_PASSWORD_LENGTH,
            "maxLength": MAX_LINK_PASSWORD_LENGTH,
        }
    ),
]
CREATE_PASSWORD_HELP = (
    "Write-only: a password visitors must enter before the redirect; omit it for an open link. "
    "Responses carry only has_password."
)
UPDATE_PASSWORD_HELP = (
    "Write-only: set a password visitors must enter before the redirect; null removes it. "
    "Responses carry only has_password."
)


DOMAIN_HELP = (
    "The short domain the link lives on (a host GET /domains lists); null, omitted or the default domain's host: "
    "the default domain. The same code may exist once per domain. A link never moves to another domain."
)


def clean_tags(value: list[str] | None) -> list[str] | None:
    """Tags as stored: stripped, lower case, sorted, unique. Raises ValueError."""
    if value is None:
        return None
    cleaned = sorted({no_control_characters(tag).strip().lower() for tag in value if tag.strip()})
    if any(len(tag) > 64 for tag in cleaned):
        raise ValueError("a tag is at most 64 characters")
    # Tags travel comma-separated in CSV export/import.
    if any("," in tag for tag in cleaned):
        raise ValueError("a tag cannot contain a comma")
    return cleaned


class LinkCreate(BaseModel):
    """What a new link needs; the target is checked and normalised by ``prepare_target``."""

    model_config = ConfigDict(extra="forbid")

    target_url: str = Field(min_length=1, max_length=4096)
    code: str | None = Field(None, pattern=CODE_PATTERN, description="Custom code; random when omitted.")
    domain: str | None = Field(None, max_length=300, description=DOMAIN_HELP)
    redirect_status: RedirectStatus = 302
    expires_at: datetime | None = Field(None, description="When the link stops redirecting: future, with a time zone.")
    max_clicks: int | None = Field(None, gt=0, le=2**62)
    forward_query: bool = False
    title: PlainText | None = Field(None, max_length=500)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    password: LinkPassword | None = Field(None, description=CREATE_PASSWORD_HELP)
    utm: Utm | None = Field(None, description=UTM_HELP)
    preview: LinkPreview | None = Field(None, description=PREVIEW_HELP)
    rules: Rules | None = Field(None, description=RULES_HELP)
    variants: Variants | None = Field(None, description=VARIANTS_HELP)

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _check_expiry(value, hint=CREATE_EXPIRY_HINT)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return clean_tags(value) or []


# Fields a PATCH may set to null (clearing them); the others need a value when present.
NULLABLE_UPDATES = frozenset({"expires_at", "max_clicks", "title", "password", "utm", "preview", "rules", "variants"})


class LinkUpdate(BaseModel):
    """A partial change: only the fields present are changed; the code never changes."""

    model_config = ConfigDict(extra="forbid")

    target_url: str | None = Field(None, min_length=1, max_length=4096)
    redirect_status: RedirectStatus | None = None
    expires_at: datetime | None = Field(
        None, description="A new expiry, in the future (null: never); to end a link now, disable it."
    )
    max_clicks: int | None = Field(None, gt=0, le=2**62)
    forward_query: bool | None = None
    title: PlainText | None = Field(None, max_length=500)
    tags: list[str] | None = Field(None, max_length=MAX_TAGS)
    disabled: bool | None = None
    password: LinkPassword | None = Field(None, description=UPDATE_PASSWORD_HELP)
    utm: Utm | None = Field(None, description=UPDATE_UTM_HELP)
    preview: LinkPreview | None = Field(None, description=UPDATE_PREVIEW_HELP)
    rules: Rules | None = Field(None, description=UPDATE_RULES_HELP)
    variants: Variants | None = Field(None, description=UPDATE_VARIANTS_HELP)

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _check_expiry(value, hint=UPDATE_EXPIRY_HINT)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return clean_tags(value)

    @model_validator(mode="before")
    @classmethod
    def _no_code_change(cls, data: Any) -> Any:
        if isinstance(data, dict) and "code" in data:
            raise ValueError("the short code of a link cannot be changed; create a new link instead")
        if isinstance(data, dict) and "domain" in data:
            raise ValueError("a link cannot move to another domain; create a new link there instead")
        return data

    @model_validator(mode="after")
    def _not_null(self) -> LinkUpdate:
        for name in self.model_fields_set - NULLABLE_UPDATES:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class LinkPublic(BaseModel):
    """A link as the API shows it."""

    code: str
    domain: str | None = Field(description="The short domain it lives on; null: the default domain.")
    short_url: str = Field(description="The short URL, on the link's domain.")
    target_url: str = Field(description="The link's own target, as stored; the utm fields are kept apart.")
    destination_url: str = Field(
        description="Where visitors are redirected: target_url with the utm fields merged (equal to it without them)."
    )
    redirect_status: int
    expires_at: datetime | None
    max_clicks: int | None
    forward_query: bool
    disabled: bool
    title: str | None
    tags: list[str]
    has_password: bool = Field(
        description="Visitors must enter the link's password before the redirect. The password itself is write-only."
    )
    utm: Utm = Field(description="UTM parameters merged into the target; null fields are not set.")
    preview: LinkPreview | None = Field(
        description="What link-preview crawlers show for the short link (Open Graph tags); null when none is set."
    )
    rules: list[TargetingRule] | None = Field(
        description="Targeting rules, tried in order (the first whose conditions all hold wins); null when none."
    )
    variants: list[Variant] | None = Field(
        description="The A/B split of the visitors no rule matches; null when none (they then go to target_url)."
    )
    click_count: int = Field(
        description="Every click: human_clicks + bot_clicks. max_clicks counts these, bots included."
    )
    human_clicks: int = Field(description="Clicks from people's browsers: click_count - bot_clicks.")
    bot_clicks: int = Field(
        description="Clicks from crawlers, scripts, curl and the like: counted and shown, never hidden."
    )
    imported_clicks: int = Field(
        description="Clicks the link had in the shortener it was imported from, as that product counted them; "
        "not part of click_count, which holds only the clicks Hop saw."
    )
    owner_id: int | None
    created_at: datetime
    updated_at: datetime


class LinksPublic(BaseModel):
    data: list[LinkPublic]
    count: int = Field(description="Links matching the filters, on every page.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")
    page: int | None = Field(None, description="The page number, when paginating by page.")


@dataclass(frozen=True, slots=True)
class Link:
    id: int
    code: str
    domain: str | None  # None: the default domain
    target_url: str
    redirect_status: int
    expires_at: datetime | None
    max_clicks: int | None
    forward_query: bool
    disabled: bool
    title: str | None
    tags: list[str]
    has_password: bool  # never the hash: LINK_COLUMNS selects only whether there is one
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_term: str | None
    utm_content: str | None
    preview_title: str | None
    preview_description: str | None
    preview_image: str | None
    rules: list[dict[str, Any]] | None  # the JSON admin/link_routing.py stores
    variants: list[dict[str, Any]] | None
    owner_id: int | None
    click_count: int  # every click, bots included
    bot_clicks: int
    imported_clicks: int  # the source's total at import (migration 0020), never added to click_count
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Link:
        return cls(**dict(row))

    @property
    def human_clicks(self) -> int:
        return self.click_count - self.bot_clicks

    @property
    def edge_key(self) -> str:
        """Its name at the edge and in the outbox (common.domains.edge_key)."""
        return edge_key(self.domain, self.code)

    def metadata(self) -> dict[str, str | None]:
        """The utm_* and preview_* columns."""
        return {column: getattr(self, column) for column in METADATA_COLUMNS}

    def public(self, short_base: str) -> LinkPublic:
        utm = utm_of(self.metadata())
        return LinkPublic(
            code=self.code,
            domain=self.domain,
            short_url=short_url(self.domain, self.code, short_base),
            target_url=self.target_url,
            destination_url=destination_of(self.target_url, utm),
            redirect_status=self.redirect_status,
            expires_at=self.expires_at,
            max_clicks=self.max_clicks,
            forward_query=self.forward_query,
            disabled=self.disabled,
            title=self.title,
            tags=self.tags,
            has_password=self.has_password,
            utm=utm,
            preview=preview_of(self.metadata()),
            rules=rules_of(self.rules),
            variants=variants_of(self.variants),
            click_count=self.click_count,
            human_clicks=self.human_clicks,
            bot_clicks=self.bot_clicks,
            imported_clicks=self.imported_clicks,
            owner_id=self.owner_id,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


LINK_COLUMNS = (
    "id, code, domain, target_url, redirect_status, expires_at, max_clicks, forward_query, disabled, title, tags, "
    "password_hash IS NOT NULL AS has_password, "
    f"{', '.join(METADATA_COLUMNS)}, {', '.join(ROUTING_COLUMNS)}, "
    "owner_id, click_count, bot_clicks, imported_clicks, version, created_at, updated_at"
)


def generate_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def check_code(code: str) -> None:
    if code.lower() in RESERVED_CODES:
        raise CodeReserved(code)


# What the audit log keeps of a link (admin/audit.py): what its owner set, not counters or versions.
AUDITED_COLUMNS = (
    "code",
    "domain",
    "target_url",
    "redirect_status",
    "expires_at",
    "max_clicks",
    "forward_query",
    "disabled",
    "title",
    "tags",
    "has_password",  # whether, never what: audit.safe_values keeps a secret-named key only as a bool
    *METADATA_COLUMNS,
    *ROUTING_COLUMNS,
    "owner_id",
)


def audit_values(link: Link) -> dict[str, Any]:
    return {column: getattr(link, column) for column in AUDITED_COLUMNS}


async def create_link(
    *,
    pool: asyncpg.Pool,
    redis: RedisClient,
    keys: Keys,
    link_in: LinkCreate,
    target_url: str,
    owner_id: int | None,
    code_length: int,
    actor: Actor | None = None,
) -> Link:
    """Insert a link (random code unless one is given), then push it to the edge.

    ``target_url`` is the already-normalised target (see ``prepare_link``), ``link_in.domain`` the
    domain as stored (``ShortDomains.stored``: None for the default one). A ``password`` is stored as
    its argon2id hash. With an ``actor``, a ``link.create`` audit entry commits with the link.

    Raises:
        CodeTaken: the requested custom code exists on the link's domain.
        CodeReserved: the requested code is a reserved word.
        UnknownDomain: the domain was removed meanwhile.
    """
    if link_in.code is not None:
        check_code(link_in.code)
    # Hashed once, before any insert: a random code that collides is drawn again, not hashed again.
    new = _NewRow(link_in, target_url, owner_id, await password_hash_for(link_in.password))
    if link_in.code is not None:
        link = await _insert(pool, new, code=link_in.code, actor=actor)
    else:
        link = await _insert_generated(pool, new, length=code_length, actor=actor)
    await sync_edge_keys(pool=pool, redis=redis, keys=keys, edge_keys=[link.edge_key])
    return link


async def password_hash_for(password: SecretStr | None) -> str | None:
    """The ``password_hash`` column for a requested password: its argon2id hash (computed in a
    thread), or None for none."""
    return None if password is None else await hash_link_password(password.get_secret_value())


async def with_password_hash(changes: dict[str, Any]) -> dict[str, Any]:
    """``LinkUpdate.changes()`` with a ``password`` turned into the column it sets: its hash, or
    None (null: remove the password)."""
    if "password" not in changes:
        return changes
    others = {name: value for name, value in changes.items() if name != "password"}
    return others | {"password_hash": await password_hash_for(changes["password"])}


@dataclass(frozen=True, slots=True)
class _NewRow:
    """What a new link's row holds besides its code."""

    link_in: LinkCreate
    target_url: str
    owner_id: int | None
    password_hash: str | None


async def _insert_generated(pool: asyncpg.Pool, new: _NewRow, *, length: int, actor: Actor | None) -> Link:
    # Collisions (on the link's domain) are rare at 62^7; after a few in a row the code space is
    # crowded, so grow the code.
    for attempt in range(GENERATE_ATTEMPTS * 2):
        code = generate_code(length + attempt // GENERATE_ATTEMPTS)
        if code.lower() in RESERVED_CODES:
            continue
        try:
            return await _insert(pool, new, code=code, actor=actor)
        except CodeTaken:
            continue
    raise CodeTaken(code, new.link_in.domain)


async def _insert(pool: asyncpg.Pool, new: _NewRow, *, code: str, actor: Actor | None) -> Link:
    async with pool.acquire() as conn, conn.transaction():
        link = await _insert_row(conn, new, code=code)
        if actor is not None:
            await record(
                conn,
                actor=actor,
                action="link.create",
                entity_type="link",
                entity_id=link.id,
                entity_code=link.edge_key,
                new=audit_values(link),
            )
    return link


async def _insert_row(conn: Executor, new: _NewRow, *, code: str) -> Link:
    link_in = new.link_in
    optional = metadata_columns(link_in.utm, link_in.preview) | routing_columns(link_in.rules, link_in.variants)
    placeholders = ", ".join(f"${n}" for n in range(12, 12 + len(optional)))
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO links (code, domain, target_url, redirect_status, expires_at, max_clicks, forward_query,
                                   title, tags, owner_id, password_hash, {", ".join(optional)})
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, {placeholders})
                RETURNING {LINK_COLUMNS}""",
            code,
            link_in.domain,
            new.target_url,
            link_in.redirect_status,
            link_in.expires_at,
            link_in.max_clicks,
            link_in.forward_query,
            link_in.title,
            link_in.tags,
            new.owner_id,
            new.password_hash,
            *optional.values(),
        )
    except asyncpg.UniqueViolationError:
        raise CodeTaken(code, link_in.domain) from None
    except asyncpg.ForeignKeyViolationError as error:
        raise_unknown_domain(error, link_in.domain)
        raise
    assert row is not None, "INSERT ... RETURNING returns the inserted row"
    return Link.from_row(row)


def raise_unknown_domain(error: asyncpg.ForeignKeyViolationError, domain: str | None) -> None:
    """Raise UnknownDomain when ``error`` is the links' domain foreign key refusing ``domain`` (an
    admin removed it between the check and the insert); return otherwise."""
    if error.constraint_name == "links_domain_fkey" and domain is not None:
        raise UnknownDomain(domain) from None


async def get_link(pool: Executor, code: str, domain: str | None = None) -> Link:
    """The link ``code`` on ``domain`` (as stored: None for the default domain). Raises LinkNotFound."""
    row = await pool.fetchrow(f"SELECT {LINK_COLUMNS} FROM links WHERE edge_key = $1", edge_key(domain, code))
    if row is None:
        raise LinkNotFound(code, domain)
    return Link.from_row(row)


async def get_owned_link(conn_or_pool: Executor, code: str, principal: Principal, domain: str | None = None) -> Link:
    """The link ``code`` on ``domain`` (None: the default one) if ``principal`` owns it or is an admin.

    Raises:
        LinkNotFound: also for another user's link, so that nobody learns which codes exist.
    """
    link = await get_link(conn_or_pool, code, domain)
    if not principal.may_see(link.owner_id):
        raise LinkNotFound(code, domain)
    return link


def _owner_filter(principal: Principal | None) -> int | None:
    """The owner id a statement must match: None for admins and the CLI, who may touch any link."""
    return None if principal is None or principal.is_admin else principal.id


async def sync_edge_keys(*, pool: asyncpg.Pool, redis: RedisClient, keys: Keys, edge_keys: list[str]) -> bool:
    """Push what Postgres now says about the links ``edge_keys`` name (``Link.edge_key``) to the edge,
    after commit; what Redis misses stays queued for the worker's replay (common.edge_sync.sync_links)."""
    return await sync_links(pool=pool, redis=redis, keys=keys, edge_keys=edge_keys)


# What update_link applies: column -> value, or a function of the link as it is (its row locked)
# that returns them, for changes that depend on the current values (adding tags).
Changes = dict[str, Any] | Callable[[Link], dict[str, Any]]


async def update_link(
    *,
    pool: asyncpg.Pool,
    redis: RedisClient,
    keys: Keys,
    code: str,
    changes: Changes,
    principal: Principal | None,
    actor: Actor | None = None,
    action: str = "link.update",
    domain: str | None = None,
) -> Link:
    """Apply ``changes`` (column -> value; target_url already normalised) to the link ``code`` on
    ``domain`` (None: the default one), bump the version, then update the edge. With an ``actor``,
    an ``action`` audit entry with the old and new values
    of what changed commits with the change. No changes: the link as it is, untouched.

    Raises:
        LinkNotFound: no such link, or not one ``principal`` may change.
        LinkError: whatever a ``changes`` function raises (nothing is then changed).
    """
    if isinstance(changes, dict):
        _check_updatable(changes)
        if not changes:
            if principal is None:
                return await get_link(pool, code, domain)
            return await get_owned_link(pool, code, principal, domain)
    async with pool.acquire() as conn, conn.transaction():
        # The row as it was, locked: the audit entry's old values are exactly what this update replaced.
        before = await conn.fetchrow(
            f"""SELECT {LINK_COLUMNS} FROM links WHERE edge_key = $1 AND ($2::bigint IS NULL OR owner_id = $2)
                FOR UPDATE""",
            edge_key(domain, code),
            _owner_filter(principal),
        )
        if before is None:
            raise LinkNotFound(code, domain)
        wanted = changes(Link.from_row(before)) if callable(changes) else changes
        if not wanted:
            return Link.from_row(before)
        _check_updatable(wanted)
        link = await _store_update(conn, before, wanted, actor=actor, action=action)
    await sync_edge_keys(pool=pool, redis=redis, keys=keys, edge_keys=[link.edge_key])
    return link


def _check_updatable(changes: dict[str, Any]) -> None:
    unknown = set(changes) - UPDATABLE_COLUMNS
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")


async def _store_update(
    conn: Executor, before: Row, changes: dict[str, Any], *, actor: Actor | None, action: str
) -> Link:
    """The changed link; inside the caller's transaction, with ``before`` locked."""
    assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(changes, start=2))
    row = await conn.fetchrow(
        f"""UPDATE links SET {assignments}, version = version + 1, updated_at = now()
            WHERE id = $1 RETURNING {LINK_COLUMNS}""",
        before["id"],
        *changes.values(),
    )
    assert row is not None, "the row is locked"
    link = Link.from_row(row)
    if actor is not None:
        was = Link.from_row(before)
        old, new = changed(audit_values(was), audit_values(link))
        if "password_hash" in changes:
            # A new password on a protected link changes no audited value (has_password stays true):
            # the entry still says that the password was set, never what it is.
            old["has_password"], new["has_password"] = was.has_password, link.has_password
        await record(
            conn,
            actor=actor,
            action=action,
            entity_type="link",
            entity_id=link.id,
            entity_code=link.edge_key,
            old=old,
            new=new,
        )
    return link


def with_tags(added: list[str]) -> Callable[[Link], dict[str, Any]]:
    """update_link changes that add ``added`` to a link's tags (nothing when it has them all).
    The function raises TooManyTags when the link would have more than MAX_TAGS."""

    def tagged(link: Link) -> dict[str, Any]:
        tags = sorted(set(link.tags) | set(added))
        if len(tags) > MAX_TAGS:
            raise TooManyTags(link.code)
        return {"tags": tags} if tags != sorted(link.tags) else {}

    return tagged


def without_tags(removed: list[str]) -> Callable[[Link], dict[str, Any]]:
    """update_link changes that remove ``removed`` from a link's tags (nothing when it has none of them)."""

    def untagged(link: Link) -> dict[str, Any]:
        tags = [tag for tag in link.tags if tag not in removed]
        return {"tags": tags} if len(tags) != len(link.tags) else {}

    return untagged


# What an owner sets on a link, in the order CSV files carry it (admin/links_csv.py).
OWNER_FIELDS = ("target_url", "redirect_status", "expires_at", "max_clicks", "forward_query", "title", "tags")
UPDATABLE_COLUMNS = frozenset({*OWNER_FIELDS, "disabled", "password_hash", *METADATA_COLUMNS, *ROUTING_COLUMNS})


async def delete_link(
    *,
    pool: asyncpg.Pool,
    redis: RedisClient,
    keys: Keys,
    code: str,
    principal: Principal | None = None,
    actor: Actor | None = None,
    domain: str | None = None,
) -> Link:
    """Delete the link ``code`` on ``domain`` (None: the default one) and tombstone it at the edge;
    with an ``actor``, a ``link.delete`` audit entry holding its last values commits with the delete.

    Raises:
        LinkNotFound: no such link, or not one ``principal`` may delete (None: any link).
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            f"""DELETE FROM links WHERE edge_key = $1 AND ($2::bigint IS NULL OR owner_id = $2)
                RETURNING {LINK_COLUMNS}""",
            edge_key(domain, code),
            _owner_filter(principal),
        )
        if row is None:
            raise LinkNotFound(code, domain)
        link = Link.from_row(row)
        if actor is not None:
            await record(
                conn,
                actor=actor,
                action="link.delete",
                entity_type="link",
                entity_id=link.id,
                entity_code=link.edge_key,
                old=audit_values(link),
            )
    await sync_edge_keys(pool=pool, redis=redis, keys=keys, edge_keys=[link.edge_key])
    return link


def short_hosts(short_base: str, domains: Iterable[str] = ()) -> list[str]:
    """The hosts a target may not point at (the loop check), canonical as a browser reads them: the
    default domain's and ``domains`` (the added ones, ``ShortDomains.hosts``)."""
    return [short_domain(short_base), *domains]


def prepare_link(
    link_in: LinkCreate, *, domains: ShortDomains, short_base: str, blocked_domains: list[str]
) -> tuple[LinkCreate, str]:
    """``link_in`` with its domain as stored (None for the default one), and its normalised target
    (see ``prepare_target``).

    Raises:
        admin.domains.UnknownDomain: the domain is not one of ``domains``.
        admin.targets.TargetRejected: the target, or a rule's or variant's.
    """
    stored = domains.stored(link_in.domain)
    if stored != link_in.domain:
        link_in = link_in.model_copy(update={"domain": stored})
    return link_in, prepare_target(
        link_in, short_base=short_base, blocked_domains=blocked_domains, domains=domains.hosts()
    )


def prepare_target(
    link_in: LinkCreate | LinkUpdate, *, short_base: str, blocked_domains: list[str], domains: Iterable[str] = ()
) -> str:
    """The normalised target of ``link_in``, once the targets of its rules and variants passed the
    same checks (see ``check_routing``). ``domains``: the hosts of the added short domains, refused
    as the default one is. Raises admin.targets.TargetRejected."""
    assert link_in.target_url is not None
    hosts = short_hosts(short_base, domains)
    target = normalize_target(link_in.target_url, short_hosts=hosts, blocked_domains=blocked_domains)
    check_routing(link_in, short_base=short_base, blocked_domains=blocked_domains, domains=hosts)
    return target


def check_routing(
    link_in: LinkCreate | LinkUpdate, *, short_base: str, blocked_domains: list[str], domains: Iterable[str] = ()
) -> None:
    """Refuse a rule's or variant's target that points at a short domain (the default one and
    ``domains``) or a blocked domain, as the link's own would be (the models checked the rest).

    Raises:
        admin.link_routing.RoutedTargetRejected: naming the rule or variant.
    """
    check_routed_targets(
        link_in.rules,
        link_in.variants,
        short_hosts=short_hosts(short_base, domains),
        blocked_domains=blocked_domains,
    )
