"""Short domains (docs/domains.md): the default one, HOP_SHORT_BASE_URL's, and those admins add.

A link lives on one domain: the default one (``links.domain`` NULL, always, whatever its host) or
an added one (``links.domain`` = its host, a ``domains`` row). A row may also name the default
domain, only to hold its redirects: where its bare address and the codes it does not serve send
visitors.

Hosts are authorities as browsers send them in Host (common.domains.authority). What an admin
types is read as a browser reads the host of ``http://{typed}`` (the WHATWG URL Standard, with ada,
as admin/targets.py reads targets): ``Go.Example.``, ``go.example:443`` and ``ｇｏ.example`` all
name ``go.example``, and ``bücher.example`` is ``xn--bcher-kva.example``. Only a DNS name, with a
port when it is not 80 or 443, is a domain: no scheme, path, user name, query, fragment, wildcard
or IP address.

Every change commits with its audit entry, then tells the edges to reload the domains
(common.domains.announce_domains_changed); if Redis is down they reload on their own shortly.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

import ada_url
import asyncpg
from pydantic import BaseModel, ConfigDict, Field, model_validator
from redis.exceptions import RedisError

from admin.audit import Actor, changed, record
from admin.targets import TargetRejected, normalize_target
from common.db import Executor, Row
from common.domains import announce_domains_changed, authority, default_domain, fetch_domains
from common.records import Keys
from common.redis import RedisClient
from common.settings import AdminSettings
from common.stores import Stores

logger = logging.getLogger("hop.admin.domains")

# What a host may be once normalised: DNS labels of 1 to 63 letters, digits and inner hyphens, and a
# port (stricter than, so never refused by, the CHECK of migration 0022).
_LABEL: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE: Final = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::[1-9][0-9]{{0,4}})?$")
MAX_HOST_INPUT: Final = 300  # a DNS name is at most 253 characters, then ":65535"
MAX_DNS_NAME: Final = 253
_NOT_A_HOST: Final = re.compile(r"[/\\?#@\s]")
_SCHEME: Final = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
DOMAIN_COLUMNS: Final = "host, base_redirect, not_found_redirect, created_at, updated_at"
REDIRECT_FIELDS: Final = ("base_redirect", "not_found_redirect")
HOST_HELP: Final = (
    "A DNS name, with a port when visitors use one other than 80 or 443 (go.example, links.example:8443). It is "
    "read as a browser reads it: lower case, IDNs in punycode, no trailing dot."
)
BASE_REDIRECT_HELP: Final = "Where the domain's bare address (/) sends visitors; null: a 404."
NOT_FOUND_REDIRECT_HELP: Final = (
    "Where a code the domain does not serve (unknown, disabled, expired), or any other path, sends visitors; "
    "null: a 404."
)


class DomainError(Exception):
    """Base of the domain errors; each carries a stable ``error_code`` and, when it concerns one
    field of the request, that field's location (``loc``)."""

    error_code = "domain_error"
    loc: tuple[str, ...] | None = None


class InvalidDomain(DomainError):
    error_code = "invalid_domain"

    def __init__(self, typed: str, why: str, *, loc: tuple[str, ...] = ("body", "host")) -> None:
        super().__init__(f"{typed[:80]!r} is not a domain: {why}")
        self.loc = loc


class UnknownDomain(DomainError):
    error_code = "unknown_domain"

    def __init__(self, host: str, *, loc: tuple[str, ...] = ("body", "domain")) -> None:
        super().__init__(f"{host[:80]!r} is not one of the short domains (GET /api/v1/domains lists them)")
        self.host = host
        self.loc = loc


class DomainNotFound(DomainError):
    error_code = "domain_not_found"

    def __init__(self, host: str) -> None:
        super().__init__(f"no short domain {host[:80]!r}")


class DomainExists(DomainError):
    error_code = "domain_exists"

    def __init__(self, host: str) -> None:
        super().__init__(f"the short domain {host!r} exists already")


class DefaultDomain(DomainError):
    error_code = "default_domain"

    def __init__(self, host: str, doing: str) -> None:
        super().__init__(
            f"{host!r} is the default domain (HOP_SHORT_BASE_URL's): it cannot be {doing}; "
            "its redirects are set with PATCH /api/v1/domains/{host}"
        )


class DomainInUse(DomainError):
    error_code = "domain_in_use"

    def __init__(self, host: str, links: int) -> None:
        super().__init__(
            f"{links} link{'' if links == 1 else 's'} use{'s' if links == 1 else ''} {host!r}; delete "
            f"{'it' if links == 1 else 'them'} first (GET /api/v1/links?domain={host} lists them)"
        )
        self.links = links


class RedirectRejected(TargetRejected):
    """A domain's redirect refused as a link target would be; ``loc`` names the field."""

    def __init__(self, error: TargetRejected, field: str) -> None:
        super().__init__(error.reason, f"{field}: {error}")
        self.loc = (field,)


def normalize_host(typed: str, *, loc: tuple[str, ...] = ("body", "host")) -> str:
    """``typed`` as a domain is stored: the authority a browser sends for ``http://{typed}``.

    Raises:
        InvalidDomain: anything but a DNS name with an optional port: a scheme, path, query, fragment,
            user name, white space, wildcard, underscore, IP address, or a name DNS cannot hold.
    """
    text = typed.strip()
    if not text or len(text) > MAX_HOST_INPUT:
        raise InvalidDomain(typed, f"give a host name of 1 to {MAX_DNS_NAME} characters", loc=loc)
    if _SCHEME.match(text):
        raise InvalidDomain(typed, "give the host name alone, without http:// or https://", loc=loc)
    # Each of these makes the rest a path, a user name or a query to a URL parser: a domain has none.
    if _NOT_A_HOST.search(text) or not text.isprintable():
        raise InvalidDomain(typed, "a domain is a host name with an optional :port, nothing else", loc=loc)
    try:
        url = ada_url.parse_url(f"http://{text}", attributes=("href", "host", "hostname"))
    except ValueError:
        raise InvalidDomain(typed, "browsers would not accept it as a host name", loc=loc) from None
    if url["href"] != f"http://{url['host']}/":
        raise InvalidDomain(typed, "a domain is a host name with an optional :port, nothing else", loc=loc)
    if _is_ip_address(url["hostname"]):
        raise InvalidDomain(typed, "an IP address cannot be a short domain: use a DNS name", loc=loc)
    host = authority(url["host"])
    if len(host.partition(":")[0]) > MAX_DNS_NAME or not _HOST_RE.fullmatch(host):
        raise InvalidDomain(typed, "DNS names are made of letters, digits and hyphens, 63 at most per label", loc=loc)
    return host


def name_host(typed: str, short_base: str, *, loc: tuple[str, ...] = ("body", "host")) -> str:
    """The host ``typed`` names: the default domain's (which may be an IP address, as in a local
    set-up: HOP_SHORT_BASE_URL decides), else ``normalize_host``'s.

    Raises:
        InvalidDomain: not the default domain, nor a domain at all.
    """
    default = default_domain(short_base)
    if authority(typed) == default:
        return default
    return normalize_host(typed, loc=loc)


def _is_ip_address(hostname: str) -> bool:
    if hostname.startswith("["):
        return True
    try:
        ipaddress.IPv4Address(hostname.rstrip("."))
    except ValueError:
        return False
    return True


def hostname_of(host: str) -> str:
    """``host`` (an authority) without its port: what a target's host is compared with."""
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def short_base_for(domain: str | None, short_base: str) -> str:
    """What the short URLs of ``domain`` start with (no trailing slash): HOP_SHORT_BASE_URL itself for
    the default domain (None), else its scheme and the domain."""
    if domain is None:
        return short_base
    return f"{urlsplit(short_base).scheme}://{domain}"


def short_url(domain: str | None, code: str, short_base: str) -> str:
    return f"{short_base_for(domain, short_base)}/{code}"


@dataclass(frozen=True, slots=True)
class ShortDomains:
    """The domains links may live on: the default one's host and the hosts admins added."""

    default: str
    added: frozenset[str]

    def stored(self, domain: str | None, *, loc: tuple[str, ...] = ("body", "domain")) -> str | None:
        """``links.domain`` for a domain as a client names it: None for the default one (named by
        its host, or null or empty), else its host.

        Raises:
            UnknownDomain: not one of the short domains (or not a domain at all).
        """
        if domain is None or not domain.strip() or authority(domain) == self.default:
            return None
        try:
            host = normalize_host(domain, loc=loc)
        except InvalidDomain:
            raise UnknownDomain(domain, loc=loc) from None
        if host == self.default:
            return None
        if host not in self.added:
            raise UnknownDomain(host, loc=loc)
        return host

    def hosts(self) -> list[str]:
        """The host names of the added domains, which no target may point at (the loop check)."""
        return sorted({hostname_of(host) for host in self.added})


async def short_domains(conn: Executor, short_base: str) -> ShortDomains:
    """The short domains as Postgres has them now."""
    default = default_domain(short_base)
    return ShortDomains(default, frozenset(domain.host for domain in await fetch_domains(conn)) - {default})


def lookup_domain(domain: str | None, short_base: str, *, loc: tuple[str, ...] = ("query", "domain")) -> str | None:
    """The ``links.domain`` a ``?domain=`` parameter names (None: the default domain, also when it is
    absent or empty); whether that domain exists is not checked (a link on a domain that does not
    exist is simply not found).

    Raises:
        InvalidDomain: the parameter is no domain at all.
    """
    if domain is None or not domain.strip():
        return None
    host = name_host(domain, short_base, loc=loc)
    return None if host == default_domain(short_base) else host


class DomainCreate(BaseModel):
    """A domain to add, and optionally its redirects (checked as link targets are)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=MAX_HOST_INPUT, description=HOST_HELP)
    base_redirect: str | None = Field(None, min_length=1, max_length=4096, description=BASE_REDIRECT_HELP)
    not_found_redirect: str | None = Field(None, min_length=1, max_length=4096, description=NOT_FOUND_REDIRECT_HELP)


class DomainUpdate(BaseModel):
    """A change of a domain's redirects: only the fields present change, null clears one."""

    model_config = ConfigDict(extra="forbid")

    base_redirect: str | None = Field(None, min_length=1, max_length=4096, description=BASE_REDIRECT_HELP)
    not_found_redirect: str | None = Field(None, min_length=1, max_length=4096, description=NOT_FOUND_REDIRECT_HELP)

    @model_validator(mode="before")
    @classmethod
    def _no_host_change(cls, data: Any) -> Any:
        if isinstance(data, dict) and "host" in data:
            raise ValueError("a domain's host cannot be changed; add the new domain instead")
        return data

    def changes(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in REDIRECT_FIELDS if name in self.model_fields_set}


class DomainPublic(BaseModel):
    """A short domain as the API shows it."""

    host: str = Field(description="The domain as browsers send it in Host (lower case, punycode, port if any).")
    is_default: bool = Field(description="The default domain: HOP_SHORT_BASE_URL's, where links without one live.")
    base_redirect: str | None = Field(description=BASE_REDIRECT_HELP)
    not_found_redirect: str | None = Field(description=NOT_FOUND_REDIRECT_HELP)
    created_at: datetime | None = Field(description="When it was added; null for the default domain without redirects.")
    updated_at: datetime | None = Field(description="When its redirects last changed; null as created_at.")
    links: int | None = Field(
        description="Admins only: how many links live on it. Null for the default domain (counting them would read "
        "every link) and for other callers.",
    )


class DomainsPublic(BaseModel):
    data: list[DomainPublic] = Field(description="The default domain first, then the others by host.")


def _public(row: Row | None, host: str, *, is_default: bool, links: int | None = None) -> DomainPublic:
    values: Mapping[str, Any] = {} if row is None else dict(row)
    return DomainPublic(
        host=host,
        is_default=is_default,
        base_redirect=values.get("base_redirect"),
        not_found_redirect=values.get("not_found_redirect"),
        created_at=values.get("created_at"),
        updated_at=values.get("updated_at"),
        links=links,
    )


def _audit_values(row: Row | None, host: str) -> dict[str, Any]:
    values: Mapping[str, Any] = {} if row is None else dict(row)
    return {"host": host, **{field: values.get(field) for field in REDIRECT_FIELDS}}


async def list_domains(pool: asyncpg.Pool, *, short_base: str, with_counts: bool) -> list[DomainPublic]:
    """Every short domain: the default one first, then the others by host; with ``with_counts``, the
    number of links of each added domain (an index range scan each)."""
    default = default_domain(short_base)
    counts = "(SELECT count(*) FROM links l WHERE l.domain = d.host)" if with_counts else "NULL::bigint"
    rows = await pool.fetch(f"SELECT {DOMAIN_COLUMNS}, {counts} AS links FROM domains d ORDER BY host")
    by_host = {row["host"]: row for row in rows}
    others = [_public(row, row["host"], is_default=False, links=row["links"]) for row in rows if row["host"] != default]
    return [_public(by_host.get(default), default, is_default=True), *others]


def check_redirects(
    changes: Mapping[str, str | None],
    *,
    domains: ShortDomains,
    short_base: str,
    blocked_domains: Iterable[str],
    adding: str | None = None,
) -> dict[str, str | None]:
    """``changes`` with each redirect normalised as a link's target is: http(s), canonical, not at a
    short domain (any of them, ``adding`` too: a redirect there would loop) nor a blocked one.

    Raises:
        RedirectRejected: naming the field.
    """
    short_hosts = [hostname_of(default_domain(short_base)), *domains.hosts()]
    short_hosts += [hostname_of(adding)] if adding is not None else []
    checked: dict[str, str | None] = {}
    for field, url in changes.items():
        try:
            checked[field] = (
                None if url is None else normalize_target(url, short_hosts=short_hosts, blocked_domains=blocked_domains)
            )
        except TargetRejected as error:
            raise RedirectRejected(error, field) from None
    return checked


async def add_checked_domain(
    stores: Stores, settings: AdminSettings, *, host: str, redirects: Mapping[str, str | None], actor: Actor
) -> DomainPublic:
    """What the API and `hop domain add` do: check the ``redirects`` (``check_redirects``), then add
    ``host`` (normalised) with them (``create_domain``, whose errors it raises too)."""
    checked = check_redirects(
        redirects,
        domains=await short_domains(stores.pool, settings.short_base),
        short_base=settings.short_base,
        blocked_domains=settings.blocked_domains,
        adding=host,
    )
    return await create_domain(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        host=host,
        redirects=checked,
        short_base=settings.short_base,
        actor=actor,
    )


async def create_domain(
    *,
    pool: asyncpg.Pool,
    redis: RedisClient,
    keys: Keys,
    host: str,
    redirects: Mapping[str, str | None],
    short_base: str,
    actor: Actor,
) -> DomainPublic:
    """Add the domain ``host`` (normalised) with its ``redirects`` (checked), then tell the edges.

    Raises:
        DefaultDomain: ``host`` is the default domain.
        DomainExists: it was added before.
    """
    if host == default_domain(short_base):
        raise DefaultDomain(host, "added")
    async with pool.acquire() as conn, conn.transaction():
        try:
            row = await conn.fetchrow(
                f"""INSERT INTO domains (host, base_redirect, not_found_redirect) VALUES ($1, $2, $3)
                    RETURNING {DOMAIN_COLUMNS}""",
                host,
                redirects.get("base_redirect"),
                redirects.get("not_found_redirect"),
            )
        except asyncpg.UniqueViolationError:
            raise DomainExists(host) from None
        await _record(conn, actor, "domain.create", host, new=_audit_values(row, host))
    await _announce(redis, keys)
    return _public(row, host, is_default=False, links=0)


async def update_domain(
    *,
    pool: asyncpg.Pool,
    redis: RedisClient,
    keys: Keys,
    host: str,
    changes: Mapping[str, str | None],
    short_base: str,
    actor: Actor,
) -> DomainPublic:
    """Set or clear the redirects in ``changes`` (checked) of ``host``, the default domain included
    (its row is made on its first change), then tell the edges.

    Raises:
        DomainNotFound: no such domain.
    """
    is_default = host == default_domain(short_base)
    async with pool.acquire() as conn, conn.transaction():
        if is_default and changes:
            await conn.execute("INSERT INTO domains (host) VALUES ($1) ON CONFLICT (host) DO NOTHING", host)
        before = await conn.fetchrow(f"SELECT {DOMAIN_COLUMNS} FROM domains WHERE host = $1 FOR UPDATE", host)
        if before is None and not is_default:
            raise DomainNotFound(host)
        if before is None or not changes:
            return _public(before, host, is_default=is_default)
        assignments = ", ".join(f"{field} = ${n}" for n, field in enumerate(changes, start=2))
        after = await conn.fetchrow(
            f"UPDATE domains SET {assignments}, updated_at = now() WHERE host = $1 RETURNING {DOMAIN_COLUMNS}",
            host,
            *changes.values(),
        )
        old, new = changed(_audit_values(before, host), _audit_values(after, host))
        if new:
            await _record(conn, actor, "domain.update", host, old=old, new=new)
    await _announce(redis, keys)
    return _public(after, host, is_default=is_default)


async def delete_domain(
    *, pool: asyncpg.Pool, redis: RedisClient, keys: Keys, host: str, short_base: str, actor: Actor
) -> None:
    """Remove the domain ``host``, which no link may use any more, then tell the edges.

    Raises:
        DefaultDomain: ``host`` is the default domain.
        DomainNotFound: no such domain.
        DomainInUse: links still live on it.
    """
    if host == default_domain(short_base):
        raise DefaultDomain(host, "removed")
    async with pool.acquire() as conn, conn.transaction():
        # Locked first: a link being created on the domain holds a key-share lock on this row, so the
        # count below sees it, and one created after the delete fails its foreign key.
        row = await conn.fetchrow(f"SELECT {DOMAIN_COLUMNS} FROM domains WHERE host = $1 FOR UPDATE", host)
        if row is None:
            raise DomainNotFound(host)
        links = int(await conn.fetchval("SELECT count(*) FROM links WHERE domain = $1", host))
        if links:
            raise DomainInUse(host, links)
        await conn.execute("DELETE FROM domains WHERE host = $1", host)
        await _record(conn, actor, "domain.delete", host, old=_audit_values(row, host))
    await _announce(redis, keys)


async def _record(
    conn: Executor,
    actor: Actor,
    action: str,
    host: str,
    *,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> None:
    await record(
        conn, actor=actor, action=action, entity_type="domain", entity_id=None, entity_code=host, old=old, new=new
    )


async def _announce(redis: RedisClient, keys: Keys) -> None:
    try:
        await announce_domains_changed(redis, keys)
    except (RedisError, OSError) as error:
        # The change stands; the edges reload the domains on their own within a short while.
        logger.warning("short domains changed, but the edges could not be told (they reload soon): %s", error)
