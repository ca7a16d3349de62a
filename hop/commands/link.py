"""`hop link add|rm|show`: manage links from the shell, through the same service as the API.

A link lives on the default short domain unless ``--domain`` names another one (`hop domain list`).
A link's password is asked for (or read from standard input), never taken as an argument."""

from __future__ import annotations

import argparse
from datetime import datetime

from pydantic import SecretStr, ValidationError

from admin.audit import CLI
from admin.domains import DomainError, lookup_domain, short_domains, short_url
from admin.links import Link, LinkCreate, LinkError, create_link, delete_link, get_link, prepare_link
from admin.targets import TargetRejected
from common.settings import AdminSettings
from common.stores import open_stores
from hop.commands.support import fail, read_password, run_async, settings_from

DOMAIN_HELP = "the link's short domain (`hop domain list`); default: the default domain"


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="shorten a URL")
    add.add_argument("url", help="the target URL (http or https)")
    add.add_argument("--code", help="custom short code ([A-Za-z0-9_-], 1-64); random when omitted")
    add.add_argument("--domain", help=DOMAIN_HELP)
    add.add_argument("--status", type=int, choices=[301, 302, 307, 308], default=302, help="redirect status")
    add.add_argument("--expires", type=datetime.fromisoformat, help="expiry, ISO 8601 with time zone")
    add.add_argument("--max-clicks", type=int, help="stop redirecting after this many clicks")
    add.add_argument("--forward-query", action="store_true", help="append the visitor's query string")
    add.add_argument("--title", help="a title for the link")
    add.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    secret = add.add_mutually_exclusive_group()
    secret.add_argument(
        "--password", action="store_true", help="ask for a password visitors must enter (typed twice, not shown)"
    )
    secret.add_argument(
        "--password-stdin", action="store_true", help="read that password from standard input (first line)"
    )
    add.set_defaults(handler=handle_add)

    remove = actions.add_parser("rm", help="delete a short link")
    remove.add_argument("code")
    remove.add_argument("--domain", help=DOMAIN_HELP)
    remove.set_defaults(handler=handle_rm)

    show = actions.add_parser("show", help="show a short link")
    show.add_argument("code")
    show.add_argument("--domain", help=DOMAIN_HELP)
    show.set_defaults(handler=handle_show)


def _link_in(args: argparse.Namespace) -> LinkCreate:
    return LinkCreate(
        target_url=args.url,
        code=args.code,
        domain=args.domain,
        redirect_status=args.status,
        expires_at=args.expires,
        max_clicks=args.max_clicks,
        forward_query=args.forward_query,
        title=args.title,
        tags=args.tag,
        password=_password(args),
    )


def _password(args: argparse.Namespace) -> SecretStr | None:
    if not (args.password or args.password_stdin):
        return None
    return SecretStr(read_password(from_stdin=args.password_stdin))


async def _add(settings: AdminSettings, link_in: LinkCreate) -> str:
    async with open_stores(settings, pool_size=2) as stores:
        domains = await short_domains(stores.pool, settings.short_base)
        link_in, target = prepare_link(
            link_in, domains=domains, short_base=settings.short_base, blocked_domains=settings.blocked_domains
        )
        link = await create_link(
            pool=stores.pool,
            redis=stores.redis,
            keys=stores.keys,
            link_in=link_in,
            target_url=target,
            owner_id=None,
            code_length=settings.code_length,
            actor=CLI,
        )
    protected = ", password" if link.has_password else ""
    shown = short_url(link.domain, link.code, settings.short_base)
    return f"{shown} -> {link.target_url} ({link.redirect_status}{protected})"


def handle_add(args: argparse.Namespace) -> int:
    settings = settings_from(AdminSettings)
    try:
        link_in = _link_in(args)
        print(run_async(lambda: _add(settings, link_in)))
    except ValidationError as error:
        return fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))
    except (TargetRejected, LinkError, DomainError, ValueError) as error:
        return fail(str(error))
    return 0


async def _remove(settings: AdminSettings, code: str, domain: str | None) -> None:
    async with open_stores(settings, pool_size=2) as stores:
        await delete_link(pool=stores.pool, redis=stores.redis, keys=stores.keys, code=code, domain=domain, actor=CLI)


def handle_rm(args: argparse.Namespace) -> int:
    settings = settings_from(AdminSettings)
    try:
        domain = lookup_domain(args.domain, settings.short_base, loc=("domain",))
        run_async(lambda: _remove(settings, args.code, domain))
    except (LinkError, DomainError) as error:
        return fail(str(error))
    print(f"deleted {short_url(domain, args.code, settings.short_base)}")
    return 0


def _shown_fields() -> list[str]:
    """Every column of a link, with human_clicks (computed, not stored) beside bot_clicks."""
    fields: list[str] = []
    for name in Link.__slots__:
        fields += [name, "human_clicks"] if name == "bot_clicks" else [name]
    return fields


async def _show(settings: AdminSettings, code: str, domain: str | None) -> str:
    async with open_stores(settings, pool_size=1) as stores:
        link = await get_link(stores.pool, code, domain)
    return "\n".join(f"{name}: {getattr(link, name)}" for name in _shown_fields())


def handle_show(args: argparse.Namespace) -> int:
    settings = settings_from(AdminSettings)
    try:
        domain = lookup_domain(args.domain, settings.short_base, loc=("domain",))
        print(run_async(lambda: _show(settings, args.code, domain)))
    except (LinkError, DomainError) as error:
        return fail(str(error))
    return 0
