"""The `email` channel: one plain-text message over SMTP (BALLAST_SMTP_URL)."""

import asyncio
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from domain.errors import DeliveryError
from domain.notifications import Notification


class EmailChannel:
    """`smtp://[user:password@]host[:port][?from=address]`; `smtps://` is TLS from the start,
    `smtp://` upgrades with STARTTLS when the server offers it."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if self._tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._from = parse_qs(parts.query).get("from", ["ballast@localhost"])[0]
        self._timeout = timeout

    def message(self, notification: Notification) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = notification.target or ""
        # A header is one line: a newline in the subject must not start a new header.
        message["Subject"] = " ".join(notification.subject.split())
        message["X-Ballast-Notification-Id"] = notification.id
        message.set_content(notification.body)
        return message

    async def deliver(self, notification: Notification) -> None:
        try:
            # aiosmtplib's timeout bounds each exchange; a server answering each just in
            # time could hold the delivery for long: the whole attempt has the same deadline.
            async with asyncio.timeout(self._timeout):
                await aiosmtplib.send(
                    self.message(notification),
                    hostname=self._host,
                    port=self._port,
                    use_tls=self._tls,
                    username=self._username,
                    password=self._password,
                    timeout=self._timeout,
                )
        except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as e:
            raise DeliveryError(f"smtp delivery failed: {_reason(e)}") from None


def _reason(error: BaseException) -> str:
    """Why the mail did not go, in words about the delivery, never a library's class names."""
    if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return "the mail server timed out"
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return "the mail server refused the credentials"
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused):
        return "the mail server refused the recipient"
    if isinstance(error, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected | OSError):
        return "the mail server could not be reached"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"the mail server answered {error.code}"
    return "the mail server refused the message"
