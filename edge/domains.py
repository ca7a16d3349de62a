"""Which short domain a request came to, and what that domain answers where it has no link.

The Host header names the domain (X-Forwarded-Host instead when a trusted proxy sent the request,
as for X-Forwarded-For). A link on the default domain is looked up by its code, one on another
domain by ``{domain}/{code}`` (common/domains.py, edge keys). A Host that is no short domain is
served as the default domain, answered 404 or redirected, as HOP_EDGE_UNKNOWN_HOST says.

While there is no domain but the default one and unknown Hosts are served as it, ``single`` is
true and a redirect reads no header at all: plain links cost what they cost before domains.

The domains are read from Postgres at start-up, again whenever admin announces a change on the
invalidation channel (``!domains``), after every reconnection of that channel, and at least every
``REFRESH_INTERVAL_S`` in case a message was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import asyncpg
from starlette.types import Scope

from common.client_ip import ClientIpResolver
from common.domains import Domain, authority, default_domain, fetch_domains
from common.records import LinkRecord
from edge import responses

logger = logging.getLogger("hop.edge.domains")

REFRESH_INTERVAL_S: Final = 60.0
_HOSTS_REMEMBERED: Final = 1_024  # raw Host values mapped to their domain; cleared when full

Page = responses.Redirect | responses.StaticResponse


@dataclass(frozen=True, slots=True)
class DomainPages:
    """One short domain as the edge serves it."""

    key_prefix: str  # "" on the default domain, "{domain}/" on another: prefix + code = edge key
    name: str  # what an orphan visit records: "" for the default domain
    base: Page  # the answer to its bare address (/)
    not_found: Page  # the answer to a code it does not serve and to any other path


class ShortDomains:
    """The short domains one edge process serves, and the Host of each request mapped to one."""

    __slots__ = ("_by_host", "_client_ip", "_default", "_default_host", "_seen", "_unknown", "single", "unknown_host")

    def __init__(self, *, short_base: str, unknown_host: str, client_ip: ClientIpResolver) -> None:
        self._default_host = default_domain(short_base)
        self._client_ip = client_ip
        self._unknown = unknown_host
        # What a Host no domain has gets when it is not served as the default domain.
        self.unknown_host: Page = responses.NOT_FOUND if unknown_host == "not_found" else _redirect(unknown_host)
        self.load([])

    def load(self, domains: Iterable[Domain]) -> None:
        """Serve ``domains`` (the rows of ``domains``) from now on."""
        by_host: dict[str, DomainPages] = {}
        default = DomainPages("", "", responses.NOT_FOUND, responses.NOT_FOUND)
        for domain in domains:
            if domain.host == self._default_host:
                default = _pages(domain, key_prefix="", name="")
            else:
                by_host[domain.host] = _pages(domain, key_prefix=f"{domain.host}/", name=domain.host)
        by_host[self._default_host] = default
        self._default = default
        self._by_host = by_host
        self._seen: dict[bytes, DomainPages | None] = {}
        self.single = len(by_host) == 1 and self._unknown == "default"

    def of(self, scope: Scope) -> DomainPages | None:
        """The domain ``scope`` came to; None for a Host that is none of them, unless such Hosts are
        served as the default domain."""
        if self.single:
            return self._default
        raw = self._host(scope)
        seen = self._seen
        if raw in seen:
            return seen[raw]
        pages = self._by_host.get(authority(raw.decode("latin-1")))
        if pages is None and self._unknown == "default":
            pages = self._default
        if len(seen) >= _HOSTS_REMEMBERED:
            seen.clear()  # anyone can send any Host: bounded, and rebuilt from the live ones
        seen[raw] = pages
        return pages

    def _host(self, scope: Scope) -> bytes:
        host = forwarded = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"x-forwarded-host":
                forwarded = value
        if forwarded and self._client_ip.enabled and self._client_ip.trusts(_peer(scope)):
            # The proxy nearest to us appended last, and it is the one we trust.
            return forwarded.rpartition(b",")[2].strip()
        return host


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


def _pages(domain: Domain, *, key_prefix: str, name: str) -> DomainPages:
    base = _redirect_or_404(domain.base_redirect, domain.host)
    not_found = _redirect_or_404(domain.not_found_redirect, domain.host)
    return DomainPages(key_prefix, name, base, not_found)


def _redirect_or_404(url: str | None, host: str) -> Page:
    if url is None:
        return responses.NOT_FOUND
    record = LinkRecord(target=url)
    reason = record.unsafe_reason()
    if reason is not None:
        logger.warning("a redirect of domain %r is not served: %s", host, reason)
        return responses.NOT_FOUND
    return responses.Redirect(record)


def _redirect(url: str) -> responses.Redirect:
    return responses.Redirect(LinkRecord(target=url))


async def keep_loaded(
    domains: ShortDomains, pool: asyncpg.Pool, changed: asyncio.Event, *, interval: float = REFRESH_INTERVAL_S
) -> None:
    """Reload ``domains`` whenever ``changed`` is set, and every ``interval`` seconds; runs until cancelled.

    The caller loads them once before serving. A failed read keeps what was loaded before and is
    tried again at the next turn.
    """
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), interval)
        changed.clear()  # before the read: a change announced during it is read at the next turn
        try:
            domains.load(await fetch_domains(pool))
        except (asyncpg.PostgresError, OSError) as error:
            logger.warning("short domains not reloaded (serving the ones loaded before): %s", error)
