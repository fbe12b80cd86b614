"""The email channel against a local SMTP server (aiosmtpd) started by the test."""

import asyncio
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from adapters.channels.email import EmailChannel
from domain.errors import DeliveryError
from domain.notifications import Channel, Notification
from tests.fakes import START
from tests.redis_server import free_port
from tests.support.notifications import notification

pytestmark = pytest.mark.anyio


class Inbox:
    """An aiosmtpd handler that keeps every message it is handed."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[Message]:
        return [message_from_bytes(e.original_content) for e in self.envelopes]


class SlowInbox(Inbox):
    """Answers each command well within the channel's timeout, but all of them together not."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        await asyncio.sleep(0.6)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.6)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp(request: pytest.FixtureRequest) -> Iterator[tuple[Inbox, int]]:
    inbox = getattr(request, "param", Inbox)()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def email(subject: str = "Your invoice") -> Notification:
    return notification(
        "n42",
        at=START,
        channel=Channel.EMAIL,
        subject=subject,
        body="Invoice 7 is ready.\nThank you.",
        target="alice@example.com",
        metadata={},
    )


async def test_the_message_that_arrives_carries_recipient_subject_and_body(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    await EmailChannel(f"smtp://127.0.0.1:{port}?from=noreply@ballast.example").deliver(email())

    [envelope] = inbox.envelopes
    assert envelope.mail_from == "noreply@ballast.example"
    assert envelope.rcpt_tos == ["alice@example.com"]
    [message] = inbox.messages()
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Your invoice"
    assert message["X-Ballast-Notification-Id"] == "n42"
    text = message.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert text.strip() == "Invoice 7 is ready.\nThank you."


async def test_a_newline_in_the_subject_cannot_add_a_header(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    await EmailChannel(f"smtp://127.0.0.1:{port}").deliver(
        email("Hello\r\nBcc: victim@example.com")
    )
    [message] = inbox.messages()
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: victim@example.com"
    assert inbox.envelopes[0].rcpt_tos == ["alice@example.com"]


async def test_an_smtp_server_that_is_not_there_is_a_failed_attempt() -> None:
    channel = EmailChannel(f"smtp://127.0.0.1:{free_port()}", timeout=2.0)
    # The error is shown to API readers: it speaks of the delivery, not of a library's classes.
    with pytest.raises(DeliveryError, match=r"^smtp delivery failed: the mail server could not"):
        await channel.deliver(email())


@pytest.mark.parametrize("smtp", [SlowInbox], indirect=True)
async def test_the_whole_exchange_has_the_deadline_not_only_each_answer(
    smtp: tuple[Inbox, int],
) -> None:
    _, port = smtp
    channel = EmailChannel(f"smtp://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(DeliveryError, match=r"^smtp delivery failed: the mail server timed out$"):
        await channel.deliver(email())
