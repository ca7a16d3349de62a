"""/domains: the short domains links may live on, and where each sends visitors it has no link for.

Anyone signed in (or an API key that reads links) lists them, to pick one for a new link; admins
add and remove domains and set their redirects (admin/domains.py, docs/domains.md). The default
domain, HOP_SHORT_BASE_URL's, is always listed first; it cannot be added or removed, but its
redirects are set like any other domain's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from admin.auth.deps import AdminUser, LinksRead, SettingsDep, StoresDep
from admin.domains import (
    DomainCreate,
    DomainNotFound,
    DomainPublic,
    DomainsPublic,
    DomainUpdate,
    InvalidDomain,
    add_checked_domain,
    check_redirects,
    delete_domain,
    list_domains,
    name_host,
    short_domains,
    update_domain,
)
from admin.problems import problem_responses
from admin.routes.audit import RequestActor
from common.settings import AdminSettings
from common.stores import Stores

router = APIRouter(prefix="/domains", tags=["domains"])

AUTH = (401, 403)
Host = Annotated[
    str,
    Path(
        max_length=300,
        description="The domain's host as GET /domains lists it (another spelling of it works too: GO.example., an "
        "IDN in Unicode).",
    ),
]


def _host(host: str, settings: AdminSettings) -> str:
    """The host a path names, normalised. Raises DomainNotFound when it names no domain at all."""
    try:
        return name_host(host, settings.short_base, loc=("path", "host"))
    except InvalidDomain:
        raise DomainNotFound(host) from None


async def _checked(
    redirects: dict[str, str | None], *, stores: Stores, settings: AdminSettings, adding: str | None = None
) -> dict[str, str | None]:
    """The redirects normalised; none may point at a short domain (``adding`` is one too)."""
    return check_redirects(
        redirects,
        domains=await short_domains(stores.pool, settings.short_base),
        short_base=settings.short_base,
        blocked_domains=settings.blocked_domains,
        adding=adding,
    )


@router.get("", response_model=DomainsPublic, responses=problem_responses(*AUTH))
async def domains(principal: LinksRead, stores: StoresDep, settings: SettingsDep) -> DomainsPublic:
    """The short domains: the default one first, then the others by host. Admins also get how many
    links each added domain has."""
    data = await list_domains(stores.pool, short_base=settings.short_base, with_counts=principal.is_admin)
    return DomainsPublic(data=data)


@router.post("", status_code=201, response_model=DomainPublic, responses=problem_responses(*AUTH, 409, 413, 422))
async def add_domain(
    body: DomainCreate, admin: AdminUser, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> DomainPublic:
    """Add a short domain (admins only), with optional redirects. Its DNS must point at the edge for
    its links to work; the edges serve it within a second.

    The host is read as a browser reads it (lower case, punycode, no trailing dot or default port);
    anything but a DNS name with an optional port is a 422 ``invalid_domain``. The default domain
    or one added before is a 409. Redirects are checked as link targets are (``loop``,
    ``blocked_domain``, ...)."""
    host = name_host(body.host, settings.short_base)  # the default domain's host: a 409, not a 422
    redirects = {"base_redirect": body.base_redirect, "not_found_redirect": body.not_found_redirect}
    return await add_checked_domain(stores, settings, host=host, redirects=redirects, actor=actor)


@router.patch("/{host}", response_model=DomainPublic, responses=problem_responses(*AUTH, 404, 413, 422))
async def change_domain(
    host: Host, body: DomainUpdate, admin: AdminUser, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> DomainPublic:
    """Set (a URL) or clear (null) a domain's redirects (admins only); fields left out stay. Works for
    the default domain too."""
    checked = await _checked(body.changes(), stores=stores, settings=settings)
    return await update_domain(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        host=_host(host, settings),
        changes=checked,
        short_base=settings.short_base,
        actor=actor,
    )


@router.delete("/{host}", status_code=204, response_class=Response, responses=problem_responses(*AUTH, 404, 409, 422))
async def remove_domain(
    host: Host, admin: AdminUser, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> Response:
    """Remove a short domain (admins only). A domain that links still use is a 409 ``domain_in_use``
    (saying how many): delete or recreate them elsewhere first. The default domain cannot be removed."""
    await delete_domain(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        host=_host(host, settings),
        short_base=settings.short_base,
        actor=actor,
    )
    return Response(status_code=204)


__all__ = ["router"]
