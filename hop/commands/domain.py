"""`hop domain add|list|rm`: the short domains, from the shell, through the same service as the API
(admin/domains.py; docs/domains.md)."""

from __future__ import annotations

import argparse

from admin.audit import CLI
from admin.domains import (
    DomainError,
    DomainPublic,
    add_checked_domain,
    delete_domain,
    list_domains,
    name_host,
)
from admin.targets import TargetRejected
from common.settings import AdminSettings
from common.stores import open_stores
from hop.commands.support import fail, run_async, settings_from


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="add a short domain (its DNS must point at the edge)")
    add.add_argument("host", help="a DNS name, with :port when not 80 or 443 (e.g. go.example)")
    add.add_argument("--base-redirect", metavar="URL", help="where the domain's bare address (/) sends visitors")
    add.add_argument("--not-found-redirect", metavar="URL", help="where codes the domain does not serve send visitors")
    add.set_defaults(handler=handle_add)

    listing = actions.add_parser("list", help="list the short domains, the default one first")
    listing.set_defaults(handler=handle_list)

    remove = actions.add_parser("rm", aliases=["remove"], help="remove a short domain no link uses")
    remove.add_argument("host")
    remove.set_defaults(handler=handle_rm)


async def _add(settings: AdminSettings, host: str, redirects: dict[str, str | None]) -> DomainPublic:
    async with open_stores(settings, pool_size=1) as stores:
        return await add_checked_domain(stores, settings, host=host, redirects=redirects, actor=CLI)


def handle_add(args: argparse.Namespace) -> int:
    settings = settings_from(AdminSettings)
    redirects = {"base_redirect": args.base_redirect, "not_found_redirect": args.not_found_redirect}
    try:
        host = name_host(args.host, settings.short_base, loc=("host",))
        print(f"added {_line(run_async(lambda: _add(settings, host, redirects)))}")
    except (DomainError, TargetRejected) as error:
        return fail(str(error))
    return 0


def _line(domain: DomainPublic) -> str:
    parts = [domain.host + (" (default)" if domain.is_default else "")]
    parts += [f"{domain.links or 0:,} links"] if not domain.is_default else []
    parts += [f"/ -> {domain.base_redirect}"] if domain.base_redirect else []
    parts += [f"not found -> {domain.not_found_redirect}"] if domain.not_found_redirect else []
    return ", ".join(parts)


async def _list(settings: AdminSettings) -> list[DomainPublic]:
    async with open_stores(settings, pool_size=1) as stores:
        return await list_domains(stores.pool, short_base=settings.short_base, with_counts=True)


def handle_list(args: argparse.Namespace) -> int:
    settings = settings_from(AdminSettings)
    for domain in run_async(lambda: _list(settings)):
        print(_line(domain))
    return 0


async def _remove(settings: AdminSettings, host: str) -> None:
    async with open_stores(settings, pool_size=1) as stores:
        await delete_domain(
            pool=stores.pool, redis=stores.redis, keys=stores.keys, host=host, short_base=settings.short_base, actor=CLI
        )


def handle_rm(args: argparse.Namespace) -> int:
    settings = settings_from(AdminSettings)
    try:
        host = name_host(args.host, settings.short_base, loc=("host",))
        run_async(lambda: _remove(settings, host))
    except DomainError as error:
        return fail(str(error))
    print(f"removed {host}")
    return 0
