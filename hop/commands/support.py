"""What every command shares: loading settings with CLI overrides, and clear fatal errors."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from common.logs import configure_logging
from common.settings import ENV_PREFIX, AnySettings, load_settings_or_exit

T = TypeVar("T")
logger = logging.getLogger("hop.cli")


def settings_from(kind: type[AnySettings], **overrides: object) -> AnySettings:
    """``kind`` read from the environment with non-None ``overrides`` applied; the overrides are
    exported too, so that the processes this one starts (Granian's workers) read the same.
    """
    for name, value in overrides.items():
        if value is not None:
            os.environ[f"{ENV_PREFIX}{name.upper()}"] = str(value)
    settings = load_settings_or_exit(kind)
    configure_logging(settings)
    return settings


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
