from __future__ import annotations

import pytest

from common.settings import (
    DEFAULT_JWT_SECRET,
    AdminSettings,
    CoreSettings,
    EdgeSettings,
    Settings,
    SettingsError,
    WorkerSettings,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("HOP_"):
            monkeypatch.delenv(name)


def test_defaults_load() -> None:
    settings = load_settings(Settings)
    assert settings.edge_port == 8000 and settings.redis_url is None and settings.trusted_proxies == []


def test_values_come_from_hop_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOP_EDGE_PORT", "9000")
    monkeypatch.setenv("HOP_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.0.0/16")
    monkeypatch.setenv("HOP_BLOCKED_DOMAINS", "evil.example,bad.example")
    settings = load_settings(Settings)
    assert settings.edge_port == 9000
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "192.168.0.0/16"]
    assert settings.blocked_domains == ["evil.example", "bad.example"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HOP_EDGE_PORT", "70000", "HOP_EDGE_PORT: Input should be less than or equal to 65535"),
        ("HOP_ENVIRONMENT", "prod", "HOP_ENVIRONMENT: Input should be 'local', 'test' or 'production'"),
        ("HOP_DATABASE_URL", "mysql://x/y", "HOP_DATABASE_URL: scheme must be postgresql://"),
        ("HOP_JWT_SECRET", "short", "HOP_JWT_SECRET: String should have at least 32 characters"),
        ("HOP_REDIS_PREFIX", "a b", "HOP_REDIS_PREFIX: use 1-64 of A-Z a-z 0-9 : _ . -"),
        ("HOP_DATABASE_SCHEMA", "Robert'); DROP", "HOP_DATABASE_SCHEMA: use a lower-case SQL identifier"),
        (
            "HOP_EDGE_UNKNOWN_HOST",
            "javascript:alert(1)",
            "HOP_EDGE_UNKNOWN_HOST: must be `default`, `not_found` or an absolute http(s) URL",
        ),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(Settings)
    assert str(raised.value) == f"invalid settings: {message}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (None, "HOP_REDIS_CLUSTER needs HOP_REDIS_URL: a node of the cluster"),
        (
            "unix:///run/redis.sock",
            "HOP_REDIS_URL must be redis:// or rediss:// with database 0 when HOP_REDIS_CLUSTER",
        ),
        (
            "redis://10.0.0.5:7000/2",
            "HOP_REDIS_URL must be redis:// or rediss:// with database 0 when HOP_REDIS_CLUSTER",
        ),
    ],
)
def test_a_cluster_needs_a_node_url_with_database_0(
    monkeypatch: pytest.MonkeyPatch, url: str | None, message: str
) -> None:
    monkeypatch.setenv("HOP_REDIS_CLUSTER", "true")
    if url is None:
        monkeypatch.delenv("HOP_REDIS_URL", raising=False)
    else:
        monkeypatch.setenv("HOP_REDIS_URL", url)
    with pytest.raises(SettingsError, match=message):
        load_settings(Settings)
    monkeypatch.setenv("HOP_REDIS_URL", "redis://10.0.0.5:7000/0")
    assert load_settings(Settings).redis_cluster


def test_production_refuses_default_secrets_in_the_process_that_holds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOP_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="HOP_JWT_SECRET must be set"):
        load_settings(AdminSettings)
    with pytest.raises(SettingsError, match="HOP_VISITOR_SALT_SECRET must be set"):
        load_settings(WorkerSettings)
    with pytest.raises(SettingsError, match="HOP_LINK_UNLOCK_SECRET must be set"):
        load_settings(EdgeSettings)
    with pytest.raises(SettingsError, match="must be set to a secret of your own"):
        load_settings(Settings)
    monkeypatch.setenv("HOP_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("HOP_VISITOR_SALT_SECRET", "y" * 40)
    monkeypatch.setenv("HOP_LINK_UNLOCK_SECRET", "z" * 40)
    assert load_settings(Settings).jwt_secret != DEFAULT_JWT_SECRET
    assert load_settings(EdgeSettings).link_unlock_secret == "z" * 40
    assert load_settings(WorkerSettings).visitor_salt_secret == "y" * 40


def test_each_process_reads_only_its_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOP_JWT_SECRET", "a-secret-the-edge-must-never-hold-0123456789")
    monkeypatch.setenv("HOP_SMTP_PASSWORD", "smtp-secret")
    edge = load_settings(EdgeSettings)
    for secret in ("jwt_secret", "smtp_password", "visitor_salt_secret"):
        assert not hasattr(edge, secret)
        assert secret not in edge.model_dump()
    assert not hasattr(load_settings(WorkerSettings), "jwt_secret")
    assert not hasattr(load_settings(AdminSettings), "visitor_salt_secret")
    assert load_settings(AdminSettings).jwt_secret.startswith("a-secret")
    # Every process reads the shared core, and the full set (hop dev, the docs) is every process's together.
    every = set(Settings.model_fields)
    for kind in (EdgeSettings, AdminSettings, WorkerSettings):
        assert set(CoreSettings.model_fields) <= set(kind.model_fields) <= every
