"""The live rates feed: the ECB daily reference rates XML (EUR base), over HTTP or from a file.

Everything the feed sends is distrusted: the whole fetch has a deadline (a server that drips
bytes cannot hold a refresh forever), the body has a size limit, and the XML is parsed with
defusedxml (no DTD, no entity expansion).
"""

import asyncio
import datetime
import logging
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from domain.errors import RatesFeedNotConfiguredError, RatesUnavailableError
from domain.iso4217 import CURRENCIES
from domain.ports import Clock
from domain.rates import RateOrigin, RateTable

log = logging.getLogger("ballast.currency")

MAX_BYTES = 1 << 20  # the daily file is ~2 KiB and the 90-day one ~50 KiB
RATE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?")
CODE = re.compile(r"[A-Z]{3}")
BASE = "EUR"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _day(cube: Element) -> datetime.date:
    return datetime.date.fromisoformat(cube.get("time", ""))


def parse_ecb_xml(document: bytes, fetched_at: float) -> RateTable:
    """The latest day of an ECB `gesmes:Envelope`; raises RatesUnavailableError if malformed."""
    try:
        root = fromstring(document, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as e:
        raise RatesUnavailableError(f"unreadable XML ({type(e).__name__})") from e
    days = [e for e in root.iter() if _local(e.tag) == "Cube" and e.get("time") is not None]
    try:
        latest = max(days, key=_day) if days else None
    except ValueError as e:
        raise RatesUnavailableError("a Cube has an invalid time") from e
    if latest is None:
        raise RatesUnavailableError("no Cube with a time")
    rates: dict[str, Decimal] = {}
    skipped = []
    for cube in latest:
        code, rate = cube.get("currency"), cube.get("rate")
        if code is None or rate is None or not CODE.fullmatch(code) or not RATE.fullmatch(rate):
            raise RatesUnavailableError("a Cube has no valid currency and rate")
        if code in rates:
            raise RatesUnavailableError(f"{code} is quoted twice")
        if Decimal(rate) <= 0:
            raise RatesUnavailableError(f"{code} has a rate of zero")
        if code not in CURRENCIES or code == BASE:
            skipped.append(code)
            continue
        rates[code] = Decimal(rate)
    if not rates:
        raise RatesUnavailableError("no rates")
    if skipped:
        log.info("event=rates_codes_skipped codes=%s", ",".join(skipped))
    return RateTable(BASE, rates, _day(latest), RateOrigin.LIVE, fetched_at)


class EcbRateFeed:
    """Fetches `url` (http, https or file) once per call, within `deadline` seconds."""

    def __init__(
        self,
        url: str,
        clock: Clock,
        deadline: float = 5.0,
        connect_timeout: float = 2.0,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.url = url
        self.clock = clock
        self.deadline = deadline
        self.connect_timeout = connect_timeout
        self.max_bytes = max_bytes

    async def fetch(self) -> RateTable:
        try:
            async with asyncio.timeout(self.deadline):
                document = await self._download()
        except TimeoutError:
            raise RatesUnavailableError(f"no answer within {self.deadline} s") from None
        return parse_ecb_xml(document, self.clock.now())

    async def _download(self) -> bytes:
        if urlsplit(self.url).scheme == "file":
            return await asyncio.to_thread(self._read_file)
        timeout = httpx.Timeout(self.deadline, connect=self.connect_timeout)
        try:
            async with (
                httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client,
                client.stream("GET", self.url, headers={"Accept": "application/xml"}) as response,
            ):
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
                return bytes(body)
        except httpx.HTTPError as e:
            raise RatesUnavailableError(type(e).__name__) from e

    def _read_file(self) -> bytes:
        path = Path(unquote(urlsplit(self.url).path))
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
    table are all there is."""

    async def fetch(self) -> RateTable:
        raise RatesFeedNotConfiguredError("BALLAST_RATES_URL is not set")
