"""A Postgres primary and a streaming replica of it, both our own, for tests of read scaling.

Built from the Postgres binaries the pgserver package ships, so it runs wherever the project
installs (no system Postgres needed): initdb a primary listening on 127.0.0.1, pg_basebackup it
with ``-R`` (which writes the replica's primary_conninfo and standby.signal), start the copy as a
hot standby. initdb's default pg_hba.conf trusts local replication connections. As root, the
servers run as pgserver's own system user, as pgserver itself does (Postgres refuses root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import asyncpg
from pgserver._commands import POSTGRES_BIN_PATH
from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

from harness.processes import free_port

SYSTEM_USER = "pgserver"  # the user pgserver runs Postgres as when started by root
START_TIMEOUT_S = 30


class PostgresServer:
    """One Postgres process on a data directory of its own, on 127.0.0.1:``port``."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir}"
        _run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-o",
            options,
            "start",
            "-l",
            str(self.data_dir / "server.log"),
        )

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            _run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "fast", "stop")


class StreamingPair:
    """A primary and its hot-standby replica under ``root``; ``start`` then ``stop``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.primary = PostgresServer(root / "primary", free_port())
        self.replica = PostgresServer(root / "replica", free_port())

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _give_to_system_user(self.root)
        _run("initdb", "-D", str(self.primary.data_dir), "-U", "postgres", "--auth=trust", "--encoding=utf8")
        self.primary.start()
        _run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.replica.data_dir),
            "-R",
            "-X",
            "stream",
        )
        self.replica.start()

    def stop(self) -> None:
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.root, ignore_errors=True)


async def replay_paused(replica_url: str, paused: bool) -> None:
    """Pause or resume the replica's replay: while paused it keeps the data it had."""
    conn = await asyncpg.connect(replica_url)
    try:
        await conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
    finally:
        await conn.close()


async def caught_up(primary_url: str, replica_url: str) -> bool:
    """Whether the replica has replayed everything the primary had written when asked."""
    primary = await asyncpg.connect(primary_url)
    replica = await asyncpg.connect(replica_url)
    try:
        written = await primary.fetchval("SELECT pg_current_wal_lsn()")
        return bool(await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", written))
    finally:
        await primary.close()
        await replica.close()


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _give_to_system_user(root: Path) -> None:
    if _running_as_root():
        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(root)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(root, entry.pw_uid, entry.pw_gid)


def _run(binary: str, *args: str) -> None:
    user = SYSTEM_USER if _running_as_root() else None
    command = [str(POSTGRES_BIN_PATH / binary), *args]
    result = subprocess.run(command, user=user, capture_output=True, text=True, timeout=START_TIMEOUT_S * 2)
    if result.returncode != 0:
        raise RuntimeError(f"{binary} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
