"""The `webhook` channel: POST the notification's JSON to an allowed host, nowhere else,
signed as the Standard Webhooks specification says."""

import datetime
import email.utils
import json
from urllib.parse import urljoin, urlsplit

import httpx
from standardwebhooks.webhooks import Webhook

from domain.errors import DeliveryError
from domain.notifications import Notification

# Answers whose Retry-After a receiver means as "come back then" (RFC 9110 section 10.2.3).
ASKS_FOR_TIME = frozenset({429, 503})


def _host(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower()


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


class WebhookChannel:
    """Only hosts in BALLAST_WEBHOOK_ALLOWED_HOSTS (no SSRF); a redirect is followed only
    to the same host, re-posting the body; any answer but 2xx is a failed attempt."""

    def __init__(
        self,
        allowed_hosts: tuple[str, ...],
        timeout: float = 5.0,
        max_redirects: int = 3,
        client: httpx.AsyncClient | None = None,
        signer: WebhookSigner | None = None,
    ) -> None:
        self._allowed = frozenset(h.lower() for h in allowed_hosts)
        self._max_redirects = max_redirects
        self._signer = signer or WebhookSigner(())
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False
        )

    def refusal(self, target: str) -> str | None:
        host = _host(target)
        if host is None:
            return "must be an http(s) URL"
        if host not in self._allowed:
            return f"host {host!r} is not in BALLAST_WEBHOOK_ALLOWED_HOSTS"
        return None

    async def deliver(self, notification: Notification) -> None:
        url = notification.target or ""
        if (refusal := self.refusal(url)) is not None:
            raise DeliveryError(f"webhook target refused: {refusal}")
        body = json.dumps(notification.public(), separators=(",", ":"))
        now = datetime.datetime.now(datetime.UTC)
        headers = {
            "User-Agent": "ballast",
            "Content-Type": "application/json",
            "X-Ballast-Notification-Id": notification.id,
            # The notification id is the message id: the same on every retry, so a
            # receiver can deduplicate on it.
            **self._signer.headers(notification.id, now, body),
        }
        content = body.encode()
        for _ in range(self._max_redirects + 1):
            try:
                response = await self._client.post(url, content=content, headers=headers)
            except httpx.TimeoutException:
                raise DeliveryError("webhook timed out") from None
            except httpx.ConnectError:
                raise DeliveryError("webhook unreachable: the connection failed") from None
            except httpx.HTTPError:
                raise DeliveryError("webhook unreachable: the exchange broke off") from None
            if response.is_success:
                return
            if not response.is_redirect:
                asked = None
                if response.status_code in ASKS_FOR_TIME:
                    asked = retry_after(response.headers.get("retry-after"), now)
                raise DeliveryError(f"webhook answered {response.status_code}", asked)
            following = urljoin(url, response.headers.get("location", ""))
            if _host(following) != _host(url):
                raise DeliveryError(f"webhook redirect to another host refused: {_host(following)}")
            url = following
        raise DeliveryError("webhook redirected too many times")

    async def close(self) -> None:
        await self._client.aclose()
