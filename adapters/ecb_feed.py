"""The ECB reference rates XML (EUR base): the daily file, the 90-day file and the full
history are one format, a `Cube time=...` per day.

Parsed with defusedxml (no DTD, no entity expansion): everything a feed sends is distrusted.
"""

import datetime
import logging
import re
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from domain.errors import RatesUnavailableError
from domain.iso4217 import CURRENCIES
from domain.rates import RateOrigin, RateTable

log = logging.getLogger("ballast.currency")

RATE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?")
CODE = re.compile(r"[A-Z]{3}")
BASE = "EUR"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _day(cube: Element) -> datetime.date:
    return datetime.date.fromisoformat(cube.get("time", ""))


def parse_ecb_days(document: bytes, fetched_at: float, feed: str = "") -> list[RateTable]:
    """Every day of an ECB `gesmes:Envelope`, oldest first; raises RatesUnavailableError if
    anything in it is malformed."""
    try:
        root = fromstring(document, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as e:
        raise RatesUnavailableError(f"unreadable XML ({type(e).__name__})") from e
    cubes = [e for e in root.iter() if _local(e.tag) == "Cube" and e.get("time") is not None]
    if not cubes:
        raise RatesUnavailableError("no Cube with a time")
    skipped: set[str] = set()
    days: dict[datetime.date, RateTable] = {}
    for cube in cubes:
        try:
            day = _day(cube)
        except ValueError as e:
            raise RatesUnavailableError("a Cube has an invalid time") from e
        rates = _rates(cube, skipped)
        if rates:
            feeds = (feed,) if feed else ()
            days[day] = RateTable(BASE, rates, day, RateOrigin.LIVE, fetched_at, feeds)
    if not days:
        raise RatesUnavailableError("no rates")
    if skipped:
        log.info("event=rates_codes_skipped codes=%s", ",".join(sorted(skipped)))
    return [days[day] for day in sorted(days)]


def _rates(cube: Element, skipped: set[str]) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    for entry in cube:
        code, rate = entry.get("currency"), entry.get("rate")
        if code is None or rate is None or not CODE.fullmatch(code) or not RATE.fullmatch(rate):
            raise RatesUnavailableError("a Cube has no valid currency and rate")
        if code in rates:
            raise RatesUnavailableError(f"{code} is quoted twice")
        if Decimal(rate) <= 0:
            raise RatesUnavailableError(f"{code} has a rate of zero")
        if code not in CURRENCIES or code == BASE:
            skipped.add(code)
            continue
        rates[code] = Decimal(rate)
    return rates
