"""The `webhook` channel: POST the notification's JSON to an allowed host, nowhere else."""

from urllib.parse import urljoin, urlsplit

import httpx

from domain.errors import DeliveryError
from domain.notifications import Notification


def _host(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower()


class WebhookChannel:
    """Only hosts in BALLAST_WEBHOOK_ALLOWED_HOSTS (no SSRF); a redirect is followed only
    to the same host, re-posting the body; any answer but 2xx is a failed attempt."""

    def __init__(
        self,
        allowed_hosts: tuple[str, ...],
        timeout: float = 5.0,
        max_redirects: int = 3,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._allowed = frozenset(h.lower() for h in allowed_hosts)
        self._max_redirects = max_redirects
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
        headers = {"User-Agent": "ballast", "X-Ballast-Notification-Id": notification.id}
        for _ in range(self._max_redirects + 1):
            try:
                response = await self._client.post(url, json=notification.public(), headers=headers)
            except httpx.TimeoutException:
                raise DeliveryError("webhook timed out") from None
            except httpx.HTTPError as e:
                raise DeliveryError(f"webhook unreachable: {type(e).__name__}") from None
            if response.is_success:
                return
            if not response.is_redirect:
                raise DeliveryError(f"webhook answered {response.status_code}")
            following = urljoin(url, response.headers.get("location", ""))
            if _host(following) != _host(url):
                raise DeliveryError(f"webhook redirect to another host refused: {_host(following)}")
            url = following
        raise DeliveryError("webhook redirected too many times")

    async def close(self) -> None:
        await self._client.aclose()
