"""What every command shares: loading settings with CLI overrides, and clear fatal errors."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from common.devstate import read_live_state
from common.logs import configure_logging
from common.settings import ENV_PREFIX, AnySettings, Settings, load_settings_or_exit

T = TypeVar("T")
logger = logging.getLogger("hop.cli")


def settings_from(kind: type[AnySettings], *, dev_stores: bool = True, **overrides: object) -> AnySettings:
    """``kind`` read from the environment with non-None ``overrides`` applied; the overrides are
    exported too, so that the processes this one starts (Granian's workers) read the same.

    With ``dev_stores`` and no store URL configured, the stores of a running `hop dev` are used
    (see common.devstate); `hop dev` itself passes False.
    """
    if dev_stores:
        use_dev_stores()
    for name, value in overrides.items():
        if value is not None:
            os.environ[f"{ENV_PREFIX}{name.upper()}"] = str(value)
    settings = load_settings_or_exit(kind)
    configure_logging(settings)
    return settings


def use_dev_stores() -> None:
    """Export the stores, schema and key prefix of a running `hop dev` when neither store URL is set."""
    store_urls = (f"{ENV_PREFIX}REDIS_URL", f"{ENV_PREFIX}DATABASE_URL")
    if any(os.environ.get(name) for name in store_urls):
        return  # configured stores always win, and half of a `hop dev` setup would mix two Hops
    state = read_live_state(dev_data_dir())
    if state is None:
        return
    found = {
        "REDIS_URL": state.redis_url,
        "DATABASE_URL": state.database_url,
        "DATABASE_SCHEMA": state.database_schema,
        "REDIS_PREFIX": state.redis_prefix,
    }
    for name, value in found.items():
        os.environ.setdefault(f"{ENV_PREFIX}{name}", value)
    print(f"hop: using the stores of `hop dev` (pid {state.pid})", file=sys.stderr)


def dev_data_dir() -> Path:
    """Where `hop dev` keeps its stores and state file: HOP_DATA_DIR, as ``Settings`` reads it."""
    default = Settings.model_fields["data_dir"].default
    return Path(os.environ.get(f"{ENV_PREFIX}DATA_DIR") or default)


def fail(message: str) -> int:
    print(f"hop: {message}", file=sys.stderr)
    return 1


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine; store and schema problems end the command with one clear line."""
    # Imported here: the commands that serve HTTP never call this, and need not load the drivers.
    import asyncpg
    from redis.exceptions import RedisError

    from common.db import SchemaTooOld

    try:
        return asyncio.run(main())
    except SchemaTooOld as error:
        raise SystemExit(fail(str(error))) from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError) as error:
        raise SystemExit(fail(f"cannot reach the stores: {error}")) from None
    except ValueError as error:
        raise SystemExit(fail(str(error))) from None


def read_password(*, from_stdin: bool) -> str:
    """A password from the first line of standard input, or typed twice at a prompt that does not
    echo it: never an argument, which the shell's history and `ps` would show.

    Raises:
        ValueError: the two typed passwords differ.
    """
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise ValueError("the passwords do not match")
    return password
