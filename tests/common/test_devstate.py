"""`hop dev` beside other `hop` commands: they find its stores by themselves (common/devstate.py),
the embedded Valkey keeps its port between runs, and `hop dev` says how to create the first admin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.devstate import DevStores, read_live_state, remove_state, state_path, write_state
from common.services import EmbeddedServices
from common.settings import Settings
from harness.processes import free_port, hop_command, settings_env, spawn
from tests.admin.db import sql

PASSWORD = "correct horse battery staple"
# What `hop dev` exports to the processes it starts; a command run beside it has none of them.
STORE_VARIABLES = ("HOP_REDIS_URL", "HOP_DATABASE_URL", "HOP_DATABASE_SCHEMA", "HOP_REDIS_PREFIX")


def dev_state(settings: Settings, pid: int) -> DevStores:
    assert settings.redis_url is not None and settings.database_url is not None
    return DevStores(
        pid=pid,
        redis_url=settings.redis_url,
        database_url=settings.database_url,
        database_schema=settings.database_schema,
        redis_prefix=settings.redis_prefix,
    )


def beside_dev(settings: Settings, data_dir: Path) -> dict[str, str]:
    """The environment of a shell beside `hop dev`: no store configured, the same data directory."""
    env = settings_env(settings, data_dir=data_dir)
    for name in STORE_VARIABLES:
        env.pop(name, None)
    return env


def create_admin(env: dict[str, str], email: str) -> subprocess.CompletedProcess[str]:
    command = hop_command("user", "create", "--admin", "--password-stdin", email)
    return subprocess.run(command, env=env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)


def exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_state_file_names_a_live_dev_only(tmp_path: Path, settings: Settings) -> None:
    assert read_live_state(tmp_path) is None
    mine = dev_state(settings, os.getpid())
    path = write_state(tmp_path, mine)
    assert path == state_path(tmp_path) and path.stat().st_mode & 0o777 == 0o600
    assert read_live_state(tmp_path) == mine
    remove_state(tmp_path, os.getpid() + 1)  # not the writer: the file stays
    assert read_live_state(tmp_path) == mine
    remove_state(tmp_path, os.getpid())
    assert not path.exists()
    # A `hop dev` killed with SIGKILL leaves its file behind: a dead pid is no running dev.
    write_state(tmp_path, dev_state(settings, exited_pid()))
    assert read_live_state(tmp_path) is None
    path.write_text("{not json")
    assert read_live_state(tmp_path) is None


def test_hop_user_create_finds_the_stores_of_a_running_dev(tmp_path: Path, settings: Settings) -> None:
    env = beside_dev(settings, tmp_path)
    # Before: nothing tells the command where the stores are.
    refused = create_admin(env, "first@example.com")
    assert refused.returncode == 1 and "HOP_REDIS_URL is not set" in refused.stderr

    write_state(tmp_path, dev_state(settings, os.getpid()))  # this test process plays the running dev
    created = create_admin(env, "first@example.com")
    assert created.returncode == 0, created.stderr
    assert "created admin first@example.com" in created.stdout
    assert [row["role"] for row in sql(settings, "SELECT role FROM users WHERE email = 'first@example.com'")] == [
        "admin"
    ]


def test_the_embedded_valkey_keeps_its_port_between_runs(tmp_path: Path) -> None:
    port = free_port()
    urls = []
    for _ in range(2):
        services = EmbeddedServices(data_dir=tmp_path, redis_port=port)
        try:
            urls.append(services.start_redis())
        finally:
            services.close()
    assert urls == [f"redis://127.0.0.1:{port}/0"] * 2
    taken = EmbeddedServices(data_dir=tmp_path, redis_port=port)
    try:
        taken.start_redis()
        with pytest.raises(OSError, match=str(port)):
            EmbeddedServices(data_dir=tmp_path / "second", redis_port=port).start_redis()
    finally:
        taken.close()


@pytest.mark.slow
def test_hop_dev_offers_the_first_admin_and_shares_its_stores(tmp_path: Path, settings: Settings) -> None:
    data_dir = tmp_path / "hop"
    ports = {"edge_port": free_port(), "admin_port": free_port(), "data_dir": data_dir}
    dev = spawn("dev", hop_command("dev"), env=settings_env(settings, **ports), log_path=tmp_path / "dev.log")
    try:
        dev.wait_for_log("No admin yet: create one with `hop user create --admin you@example.com`")
        assert read_live_state(data_dir) == dev_state(settings, dev.pid)
        again = subprocess.run(
            hop_command("dev"), env=settings_env(settings, **ports), capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 1 and f"already running (pid {dev.pid})" in again.stderr

        created = create_admin(beside_dev(settings, data_dir), "root@example.com")
        assert created.returncode == 0, created.stderr
        assert f"using the stores of `hop dev` (pid {dev.pid})" in created.stderr
    finally:
        assert dev.stop() == 0
    assert not state_path(data_dir).exists()
    assert [row["email"] for row in sql(settings, "SELECT email FROM users WHERE role = 'admin'")] == [
        "root@example.com"
    ]
