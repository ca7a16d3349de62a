"""A real SMTP server for tests (aiosmtpd) that keeps every mail it receives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from harness.processes import free_port
from tests.helpers import wait_until


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append((envelope, message_from_bytes(envelope.content)))
        return "250 OK"

    def recipients(self) -> list[list[str]]:
        return [envelope.rcpt_tos for envelope, _ in self.messages]

    def wait(self, count: int = 1) -> list[tuple[Envelope, Message]]:
        """The mails received, once there are at least ``count``."""
        return wait_until(lambda: list(self.messages), lambda mails: len(mails) >= count, what=f"{count} mail(s)")

    def wait_for_mail_to(self, address: str) -> list[tuple[Envelope, Message]]:
        """The mails received, once one of them is for ``address``."""
        return wait_until(
            lambda: list(self.messages),
            lambda mails: any(envelope.rcpt_tos == [address] for envelope, _ in mails),
            what=f"a mail to {address}",
        )


def mail_text(message: Message) -> str:
    """The body of a plain-text mail."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


@contextmanager
def smtp_sink() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on a free port of 127.0.0.1 (plain, no auth) for the block; yields its inbox and port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
