"""`hop user create [--admin] EMAIL`: create accounts from the shell, e.g. the first admin.

The password policy is the API's (admin/auth/passwords.py): 15 characters or more, not common
nor easy to guess.
"""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from admin.audit import CLI
from admin.auth.passwords import WeakPassword
from admin.users import EmailTaken, Role, UserCreate, create_user
from common.settings import AdminSettings
from common.stores import open_stores
from hop.commands.support import fail, read_password, run_async, settings_from


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an account (the first admin: --admin)")
    create.add_argument("email", help="the account's e-mail address")
    create.add_argument("--admin", action="store_true", help="give the account the admin role")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (first line)"
    )
    create.set_defaults(handler=handle_create)


async def _create(settings: AdminSettings, user_in: UserCreate, role: Role) -> str:
    async with open_stores(settings, pool_size=1) as stores:
        user = await create_user(
            pool=stores.pool, email=str(user_in.email), password=user_in.password, role=role, actor=CLI
        )
    return f"created {user.role} {user.email} (id {user.id})"


def handle_create(args: argparse.Namespace) -> int:
    settings = settings_from(AdminSettings)
    try:
        user_in = UserCreate(email=args.email, password=read_password(from_stdin=args.password_stdin))
        print(run_async(lambda: _create(settings, user_in, "admin" if args.admin else "user")))
    except ValidationError as error:
        return fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))
    except WeakPassword as error:
        return fail(f"password: {error}")
    except (ValueError, EmailTaken) as error:
        return fail(str(error))
    return 0
