"""Mail without an SMTP server: logged in development, never logged (nor sent) in production."""

from __future__ import annotations

import logging

import pytest

from admin.mail import send_mail
from common.settings import Settings
from harness.processes import free_port


async def test_development_logs_the_mail(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hop.admin.mail"):
        assert await send_mail(Settings(environment="local"), to="a@example.com", subject="s", body="secret-body")
    assert "secret-body" in caplog.text


async def test_production_never_logs_the_body(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(environment="production", jwt_secret="p" * 40, visitor_salt_secret="q" * 20)
    with caplog.at_level(logging.INFO, logger="hop.admin.mail"):
        assert not await send_mail(settings, to="a@example.com", subject="s", body="secret-body")
    assert "secret-body" not in caplog.text
    assert "HOP_SMTP_HOST is unset" in caplog.text


async def test_an_unreachable_server_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(environment="test", smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")
    with caplog.at_level(logging.ERROR, logger="hop.admin.mail"):
        assert not await send_mail(settings, to="a@example.com", subject="s", body="b")
    assert "mail to a@example.com failed" in caplog.text
