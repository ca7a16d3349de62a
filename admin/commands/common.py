"""What every command shares: loading settings with CLI overrides, and clear fatal errors."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from redis.exceptions import RedisError

from common.db import SchemaTooOld
from common.logs import configure_logging
from common.settings import ENV_PREFIX, Settings, load_settings_or_exit

T = TypeVar("T")
logger = logging.getLogger("hop.cli")


def settings_from(args: argparse.Namespace, **overrides: object) -> Settings:
    """The settings with non-None ``overrides`` applied, also exported so child processes agree."""
    given = {name: value for name, value in overrides.items() if value is not None}
    for name, value in given.items():
        os.environ[f"{ENV_PREFIX}{name.upper()}"] = str(value)
    settings = load_settings_or_exit()
    configure_logging(settings)
    return settings


def fail(message: str) -> int:
    print(f"hop: {message}", file=sys.stderr)
    return 1


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; store and schema problems end the command with one clear line."""
    try:
        return asyncio.run(main())  # type: ignore[arg-type]
    except SchemaTooOld as error:
        raise SystemExit(fail(str(error))) from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError) as error:
        raise SystemExit(fail(f"cannot reach the stores: {error}")) from None
    except ValueError as error:
        raise SystemExit(fail(str(error))) from None
