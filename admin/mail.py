"""Outgoing mail over SMTP (aiosmtplib); with no HOP_SMTP_HOST it is logged instead (outside production)."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from common.settings import AdminSettings

logger = logging.getLogger("hop.admin.mail")

SMTP_TIMEOUT_S = 10


def admin_link(settings: AdminSettings, path: str) -> str:
    """An absolute URL for mail: HOP_PUBLIC_ADMIN_URL and ``path``, never the Host a request named."""
    return f"{settings.public_admin_base}/{path.lstrip('/')}"


def build_message(settings: AdminSettings, *, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


async def send_mail(settings: AdminSettings, *, to: str, subject: str, body: str) -> bool:
    """Send one plain-text mail. Returns False (and logs) on failure: callers run it in the
    background, where an exception would only be lost."""
    message = build_message(settings, to=to, subject=subject, body=body)
    if not settings.smtp_host:
        if settings.environment == "production":
            # Mail can carry secrets (reset tokens); production logs are no place for them.
            logger.error("mail to %s not sent: HOP_SMTP_HOST is unset", to)
            return False
        logger.info("mail not sent (HOP_SMTP_HOST unset) to=%s subject=%r\n%s", to, subject, body)
        return True
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=SMTP_TIMEOUT_S,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        logger.error("mail to %s failed: %s", to, error)
        return False
    return True
