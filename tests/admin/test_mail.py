"""Mail without an SMTP server: logged in development, never logged (nor sent) in production; links in
mail built from HOP_PUBLIC_ADMIN_URL."""

from __future__ import annotations

import logging

import pytest
from pydantic import AnyUrl

from admin.mail import admin_link, send_mail
from common.settings import Settings, SettingsError, load_settings
from harness.processes import free_port
from tests.helpers import PRODUCTION_SECRETS


async def test_development_logs_the_mail(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hop.admin.mail"):
        assert await send_mail(Settings(environment="local"), to="a@example.com", subject="s", body="secret-body")
    assert "secret-body" in caplog.text


async def test_production_never_logs_the_body(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(**PRODUCTION_SECRETS)
    with caplog.at_level(logging.INFO, logger="hop.admin.mail"):
        assert not await send_mail(settings, to="a@example.com", subject="s", body="secret-body")
    assert "secret-body" not in caplog.text
    assert "HOP_SMTP_HOST is unset" in caplog.text


async def test_an_unreachable_server_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(environment="test", smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")
    with caplog.at_level(logging.ERROR, logger="hop.admin.mail"):
        assert not await send_mail(settings, to="a@example.com", subject="s", body="b")
    assert "mail to a@example.com failed" in caplog.text


def test_links_in_mail_start_with_the_public_admin_url() -> None:
    configured = Settings(environment="test", public_admin_url=AnyUrl("https://admin.sho.rt/hop/"))
    assert admin_link(configured, "reset-password#token=abc") == "https://admin.sho.rt/hop/reset-password#token=abc"
    default = Settings(environment="test", admin_host="10.1.2.3", admin_port=8123)
    assert admin_link(default, "/") == "http://10.1.2.3:8123/"


@pytest.mark.parametrize(
    "url",
    ["ftp://admin.sho.rt", "https://admin.sho.rt/?next=evil", "https://admin.sho.rt/#x", "https://u:p@admin.sho.rt"],
)
def test_a_bad_public_admin_url_stops_start_up(url: str) -> None:
    with pytest.raises(SettingsError, match="HOP_PUBLIC_ADMIN_URL"):
        load_settings(Settings, environment="test", public_admin_url=url)
