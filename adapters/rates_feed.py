"""The live rates feeds: one or several URLs (http, https or file), each in the ECB XML or
the common JSON shape, detected from the answer or chosen by BALLAST_RATES_FORMAT, merged
in the order given.

Everything a feed sends is distrusted: each fetch has a deadline (a server that drips bytes
cannot hold a refresh forever), the body a size limit, and parsing runs off the event loop
(a full history is a few megabytes).
"""

import asyncio
import enum
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from adapters.ecb_feed import parse_ecb_days
from adapters.json_rates import parse_json_days
from domain.errors import RatesFeedNotConfiguredError, RatesUnavailableError
from domain.ports import Clock
from domain.rate_history import Publication, merge_days
from domain.rates import RateTable

log = logging.getLogger("ballast.currency")

MAX_BYTES = 32 << 20  # the ECB's full history is ~7 MiB; a daily file ~2 KiB


MAX_REDIRECTS = 5


def _same_host(current: httpx.Request, following: httpx.Request) -> httpx.Request:
    """A feed is the operator's own URL, anywhere, but a redirect may not carry the request
    (and the credentials or API key in it) to another host, nor down from https to http."""
    if following.url.host != current.url.host:
        raise RatesUnavailableError(f"redirect to another host refused: {following.url.host}")
    if current.url.scheme == "https" and following.url.scheme != "https":
        raise RatesUnavailableError("redirect from https to http refused")
    return following


class RatesFormat(enum.StrEnum):
    AUTO = "auto"
    ECB = "ecb"
    JSON = "json"


Parser = Callable[[bytes, float, str], list[RateTable]]
PARSERS: dict[RatesFormat, Parser] = {
    RatesFormat.ECB: parse_ecb_days,
    RatesFormat.JSON: parse_json_days,
}


def feed_name(url: str) -> str:
    """The URL as /rates shows it: no credentials, query or fragment (an API key often
    travels in the query)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def detect(content_type: str, body: bytes) -> RatesFormat:
    kind = content_type.lower()
    if "json" in kind:
        return RatesFormat.JSON
    if "xml" in kind:
        return RatesFormat.ECB
    start = body.lstrip()[:1]
    if start == b"{":
        return RatesFormat.JSON
    if start == b"<":
        return RatesFormat.ECB
    raise RatesUnavailableError("neither JSON nor XML (set BALLAST_RATES_FORMAT)")


class RatesFeed:
    """Fetches every URL at once, within `deadline` seconds each; the tables of the feeds
    that answered are merged (each currency from the first feed that quotes it). Fails only
    when none answered."""

    def __init__(
        self,
        urls: tuple[str, ...],
        clock: Clock,
        format: RatesFormat = RatesFormat.AUTO,
        deadline: float = 5.0,
        connect_timeout: float = 2.0,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.urls = urls
        self.clock = clock
        self.format = format
        self.deadline = deadline
        self.connect_timeout = connect_timeout
        self.max_bytes = max_bytes

    async def fetch(self) -> Publication:
        results = await asyncio.gather(
            *(self._fetch_one(url) for url in self.urls), return_exceptions=True
        )
        answered: list[list[RateTable]] = []
        reasons: list[str] = []
        for url, result in zip(self.urls, results, strict=True):
            if isinstance(result, RatesUnavailableError):
                reasons.append(f"{feed_name(url)}: {result.reason}")
            elif isinstance(result, BaseException):
                raise result
            else:
                answered.append(result)
        if not answered:
            raise RatesUnavailableError("; ".join(reasons))
        if reasons:
            log.warning("event=rates_feed_partial failed=%r", "; ".join(reasons))
        return Publication(merge_days(answered))

    async def _fetch_one(self, url: str) -> list[RateTable]:
        try:
            async with asyncio.timeout(self.deadline):
                content_type, body = await self._download(url)
        except TimeoutError:
            raise RatesUnavailableError(f"no answer within {self.deadline} s") from None
        chosen = self.format if self.format is not RatesFormat.AUTO else detect(content_type, body)
        parse = PARSERS[chosen]
        return await asyncio.to_thread(parse, body, self.clock.now(), feed_name(url))

    async def _download(self, url: str) -> tuple[str, bytes]:
        if urlsplit(url).scheme == "file":
            return "", await asyncio.to_thread(self._read_file, url)
        timeout = httpx.Timeout(self.deadline, connect=self.connect_timeout)
        accept = "application/json, application/xml;q=0.9"
        try:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                request = client.build_request("GET", url, headers={"Accept": accept})
                for _ in range(MAX_REDIRECTS + 1):
                    response = await client.send(request, stream=True)
                    try:
                        if response.next_request is None:
                            return await self._body(response)
                        request = _same_host(request, response.next_request)
                    finally:
                        await response.aclose()
                raise RatesUnavailableError(f"more than {MAX_REDIRECTS} redirects")
        except httpx.HTTPError as e:
            raise RatesUnavailableError(type(e).__name__) from e

    async def _body(self, response: httpx.Response) -> tuple[str, bytes]:
        if response.status_code != 200:
            raise RatesUnavailableError(f"HTTP status {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise RatesUnavailableError(f"body of {declared} bytes is too large")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise RatesUnavailableError(f"body over {self.max_bytes} bytes")
        return response.headers.get("content-type", ""), bytes(body)

    def _read_file(self, url: str) -> bytes:
        path = Path(unquote(urlsplit(url).path))
        try:
            with path.open("rb") as f:
                body = f.read(self.max_bytes + 1)
        except OSError as e:
            raise RatesUnavailableError(f"cannot read the file ({e.strerror})") from e
        if len(body) > self.max_bytes:
            raise RatesUnavailableError(f"file over {self.max_bytes} bytes")
        return body


class NoRateFeed:
    """Stands for the feed when BALLAST_RATES_URL is unset: the caches and the built-in
    tables are all there is."""

    async def fetch(self) -> Publication:
        raise RatesFeedNotConfiguredError("BALLAST_RATES_URL is not set")
