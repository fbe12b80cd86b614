"""The `webhook` channel: POST a Standard Webhooks event to an allowed origin, nowhere else,
signed as the Standard Webhooks specification says.

A receiver is distrusted like any peer: one attempt (resolution, connection, request,
redirects and answer) has one deadline, only the first bytes of an answer are read, and
the request goes to the address the name resolved to once, which must be public unless the
allow-list names it.
"""

import asyncio
import concurrent.futures
import datetime
import email.utils
import functools
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urljoin

import httpx
from standardwebhooks.webhooks import Webhook

from adapters.channels.targets import Origin
from application.request_context import outgoing_headers
from domain.errors import DeliveryError
from domain.notifications import Notification
from domain.times import rfc3339
from domain.webhook_targets import Address, AllowList

# Answers whose Retry-After a receiver means as "come back then" (RFC 9110 section 10.2.3).
ASKS_FOR_TIME = frozenset({429, 503})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Bytes of an answer drained so that the connection can be reused; a longer answer closes
# it. The network is read in chunks of at most 64 KiB, so no more than that is ever read.
ANSWER_DRAINED = 4096
EVENT_TYPE = "notification.created"
CANNOT_BE_REQUESTED = "webhook target cannot be requested: not a valid URL"

Resolver = Callable[[str, int], Awaitable[list[Address]]]


# Resolutions run in threads of their own: a name server that never answers holds at most
# these, never the threads the rest of the process hands work to (asyncio.to_thread).
_RESOLVERS = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="webhook-dns")


async def resolve(host: str, port: int) -> list[Address]:
    """The host's addresses, in the order the system prefers them."""
    infos = await asyncio.get_running_loop().run_in_executor(
        _RESOLVERS, functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    )
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def event(notification: Notification) -> dict[str, Any]:
    """The body of the request, as Standard Webhooks recommends: the event's type and time,
    and the notification as its sender wrote it in `data` (no delivery state)."""
    return {
        "type": EVENT_TYPE,
        "timestamp": rfc3339(notification.created_at),
        "data": {
            "id": notification.id,
            "recipient": notification.recipient,
            "subject": notification.subject,
            "body": notification.body,
            "metadata": notification.metadata,
            "created_at": rfc3339(notification.created_at),
        },
    }


def retry_after(value: str | None, now: datetime.datetime) -> float | None:
    """Seconds a Retry-After header asks for (delay-seconds or an HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


class WebhookSigner:
    """Signs with every secret of BALLAST_WEBHOOK_SECRET (`whsec_...`, space separated), so
    a receiver verifies with the old secret or the new one while a rotation is under way."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self._webhooks = tuple(Webhook(secret) for secret in secrets)

    def headers(self, message_id: str, at: datetime.datetime, body: str) -> dict[str, str]:
        if not self._webhooks:
            return {}
        at = at.replace(microsecond=0)
        signatures = " ".join(w.sign(message_id, at, body) for w in self._webhooks)
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signatures,
        }


def _requestable(url: str) -> None:
    """What the HTTP client will refuse (a name that is no valid IDNA, a control character)
    is a failed attempt, found before any resolution."""
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError):
        raise DeliveryError(CANNOT_BE_REQUESTED) from None


class WebhookChannel:
    """Only origins BALLAST_WEBHOOK_ALLOWED_HOSTS allows (no SSRF); a redirect is followed
    only on the same scheme, host and port, re-posting the body; any answer but 2xx is a
    failed attempt, and so is a target that cannot even be requested."""

    def __init__(
        self,
        allowed_hosts: tuple[str, ...],
        deadline: float = 10.0,
        max_redirects: int = 3,
        client: httpx.AsyncClient | None = None,
        signer: WebhookSigner | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        self._allowed = AllowList.parse(allowed_hosts)
        self._deadline = deadline
        self._max_redirects = max_redirects
        self._signer = signer or WebhookSigner(())
        self._resolve = resolver
        self._client = client  # made at the first delivery: a TLS context is costly

    def refusal(self, target: str) -> str | None:
        origin = Origin.of(target)
        return "must be an http(s) URL" if origin is None else self._origin_refusal(origin)

    def _origin_refusal(self, origin: Origin) -> str | None:
        if not self._allowed.allows(origin.host, origin.port):
            return f"{origin.host!r} on port {origin.port} is not in BALLAST_WEBHOOK_ALLOWED_HOSTS"
        return None

    async def deliver(self, notification: Notification) -> None:
        url = notification.target or ""
        origin = Origin.of(url)
        refusal = "must be an http(s) URL" if origin is None else self._origin_refusal(origin)
        if origin is None or refusal is not None:
            raise DeliveryError(f"webhook target refused: {refusal}")
        body = json.dumps(event(notification), separators=(",", ":"))
        now = datetime.datetime.now(datetime.UTC)
        headers = {
            "User-Agent": "ballast",
            "Content-Type": "application/json",
            "X-Ballast-Notification-Id": notification.id,
            # The notification id is the message id: the same on every retry, so a
            # receiver can deduplicate on it.
            **self._signer.headers(notification.id, now, body),
            **outgoing_headers(),  # the sending request's trace, continued
        }
        try:
            async with asyncio.timeout(self._deadline):
                await self._exchange(url, origin, body.encode(), headers, now)
        except TimeoutError:
            raise DeliveryError(f"webhook timed out ({self._deadline:g} s)") from None

    async def _exchange(
        self,
        url: str,
        origin: Origin,
        content: bytes,
        headers: dict[str, str],
        now: datetime.datetime,
    ) -> None:
        _requestable(url)
        address = await self._address(origin)
        for _ in range(self._max_redirects + 1):
            status, location, asked = await self._post(url, origin, address, content, headers)
            if 200 <= status < 300:
                return
            if status not in REDIRECTS or location is None:
                waited = retry_after(asked, now) if status in ASKS_FOR_TIME else None
                raise DeliveryError(f"webhook answered {status}", waited)
            following = urljoin(url, location)
            if Origin.of(following) != origin:
                raise DeliveryError("webhook redirect refused: not the same scheme, host and port")
            url = following
        raise DeliveryError("webhook redirected too many times")

    async def _address(self, origin: Origin) -> Address:
        """The one address every request of this attempt goes to (no second resolution that
        could answer differently)."""
        address = origin.address
        if address is None:
            try:
                found = await self._resolve(origin.host, origin.port)
            except (OSError, UnicodeError, ValueError):
                found = []
            if not found:
                raise DeliveryError("webhook unreachable: the host name did not resolve")
            address = found[0]
        if (refusal := self._allowed.address_refusal(address, origin.port)) is not None:
            raise DeliveryError(f"webhook target refused: {refusal}")
        return address

    async def _post(
        self, url: str, origin: Origin, address: Address, content: bytes, headers: dict[str, str]
    ) -> tuple[int, str | None, str | None]:
        """Status, Location and Retry-After of one POST to `address`; the name stays in the
        Host header and, over TLS, in SNI and the certificate check."""
        try:
            target = httpx.URL(url)
            request = self.client.build_request(
                "POST",
                target.copy_with(host=str(address)),
                content=content,
                headers={**headers, "Host": target.netloc.decode("ascii")},
                extensions=(
                    {"sni_hostname": target.raw_host.decode("ascii")}
                    if origin.scheme == "https"
                    else {}
                ),
            )
            response = await self.client.send(request, stream=True)
            try:
                drained = 0
                async for chunk in response.aiter_raw():
                    drained += len(chunk)
                    if drained >= ANSWER_DRAINED:
                        break  # closing an unread answer closes its connection
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise DeliveryError(f"webhook timed out ({self._deadline:g} s)") from None
        except httpx.ConnectError:
            raise DeliveryError("webhook unreachable: the connection failed") from None
        except httpx.HTTPError:
            raise DeliveryError("webhook unreachable: the exchange broke off") from None
        except (httpx.InvalidURL, ValueError, UnicodeError):
            raise DeliveryError(CANNOT_BE_REQUESTED) from None
        return (
            response.status_code,
            response.headers.get("location"),
            response.headers.get("retry-after"),
        )

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._deadline), follow_redirects=False, trust_env=False
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
