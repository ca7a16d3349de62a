"""`hop dev` beside other `hop` commands: they find its stores by themselves (common/devstate.py),
the embedded Valkey keeps its port between runs, and `hop dev` says where the dashboard is and how to create
the first admin."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from common.devstate import DevStores, read_live_state, remove_state, state_path, write_state
from common.services import EmbeddedServices
from common.settings import Settings
from harness.processes import free_port, hop_command, settings_env, spawn
from hop.dev import DASHBOARD_SOURCES, FIRST_ADMIN_HINT, first_admin_hint
from tests.admin.db import sql
from tests.helpers import wait_until

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
        admin_url = f"http://{settings.admin_host}:{ports['admin_port']}/"
        dev.wait_for_log(
            f"Open the dashboard: {admin_url}", "No users yet:", "`hop user create --admin you@example.com`"
        )
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


def test_the_first_admin_is_made_in_the_dashboard_while_no_user_exists(settings: Settings, tmp_path: Path) -> None:
    ports = {"admin_port": 8101, "dev_dashboard_port": 5199}
    built = settings.model_copy(update={"admin_dashboard_dir": tmp_path, **ports})
    not_built = settings.model_copy(update={"admin_dashboard_dir": None})
    empty = first_admin_hint(built, users=False, admins=False, hmr=False)
    assert empty is not None and f"open http://{settings.admin_host}:8101/ to create the first admin" in empty
    assert "hop user create --admin" in empty  # the CLI stays an alternative
    with_vite = first_admin_hint(built, users=False, admins=False, hmr=True)
    assert with_vite is not None and "open http://127.0.0.1:5199/ to create" in with_vite
    unbuilt = first_admin_hint(not_built, users=False, admins=False, hmr=False)
    assert unbuilt is not None and "http" not in unbuilt and "hop user create --admin" in unbuilt
    # The dashboard's set-up page is for an empty instance: with users but no admin, only the CLI helps.
    assert first_admin_hint(built, users=True, admins=False, hmr=True) == FIRST_ADMIN_HINT
    assert first_admin_hint(built, users=True, admins=True, hmr=False) is None


def _answer(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.skipif(
    not (DASHBOARD_SOURCES / "node_modules").is_dir(), reason="the dashboard's packages are not installed (make test)"
)
def test_hop_dev_hmr_runs_vite_proxying_the_api_and_stops_it(tmp_path: Path, settings: Settings) -> None:
    vite_port = free_port()
    ports = {"edge_port": free_port(), "admin_port": free_port(), "data_dir": tmp_path / "hop"}
    env = settings_env(settings, **ports, dev_dashboard_port=vite_port)
    dev = spawn("dev", hop_command("dev", "--hmr"), env=env, log_path=tmp_path / "dev.log")
    vite = f"http://127.0.0.1:{vite_port}"
    try:
        dev.wait_for_log(f"dashboard with hot reload (Vite): {vite}/", f"open {vite}/ to create the first admin")
        page = wait_until(lambda: _answer(f"{vite}/"), lambda r: r is not None and r.status_code == 200, timeout=60)
        assert page is not None and "/src/main.tsx" in page.text  # Vite serves the sources, not a build
        # /api goes through to the admin, which answers as itself (once it is up).
        api = wait_until(lambda: _answer(f"{vite}/api/v1/links"), lambda r: r is not None and r.status_code == 401)
        assert api is not None and api.headers["content-type"] == "application/problem+json"
    finally:
        assert dev.stop() == 0
    # npm and the Vite server it started are stopped together.
    wait_until(lambda: _listening(vite_port), lambda listening: not listening, what="Vite to stop")
