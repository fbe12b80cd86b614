"""The JSON rates shape of openexchangerates- and Frankfurter-style services:
`{"base": "USD", "date" | "timestamp": ..., "rates": {"EUR": 0.92, ...}}`, and the time
series form whose `rates` maps each date to such an object.

Numbers are read as decimals from their text, never through a float.
"""

import datetime
import json
import logging
from decimal import Decimal
from typing import Any

from domain.errors import RatesUnavailableError
from domain.iso4217 import CURRENCIES
from domain.rates import RateOrigin, RateTable

log = logging.getLogger("ballast.currency")

MAX_DIGITS = 24  # a rate with more significant digits than this is not a published rate
MAX_SCALE = 12  # nor one outside 1e-12 .. 1e12 units of a currency per unit of another


def _day(data: dict[str, Any]) -> datetime.date:
    if isinstance(data.get("date"), str):
        try:
            return datetime.date.fromisoformat(data["date"])
        except ValueError:
            raise RatesUnavailableError("`date` is not YYYY-MM-DD") from None
    stamp = data.get("timestamp")
    if isinstance(stamp, Decimal) and stamp == stamp.to_integral_value() and stamp >= 0:
        try:
            return datetime.datetime.fromtimestamp(int(stamp), datetime.UTC).date()
        except (OverflowError, OSError, ValueError):
            pass
    raise RatesUnavailableError("no `date` or `timestamp`")


def _rates(quoted: object, base: str, skipped: set[str]) -> dict[str, Decimal]:
    if not isinstance(quoted, dict):
        raise RatesUnavailableError("`rates` is not an object")
    rates: dict[str, Decimal] = {}
    for code, rate in quoted.items():
        if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
            raise RatesUnavailableError(f"{str(code)[:8]!r} has no positive number as its rate")
        if len(rate.as_tuple().digits) > MAX_DIGITS or abs(rate.adjusted()) > MAX_SCALE:
            raise RatesUnavailableError(f"{str(code)[:8]!r} has no plausible rate")
        if code not in CURRENCIES or code == base:
            skipped.add(str(code)[:8])
            continue
        rates[code] = rate
    return rates


def parse_json_days(document: bytes, fetched_at: float, feed: str = "") -> list[RateTable]:
    """Every day of a JSON rates document, oldest first; RatesUnavailableError if malformed."""
    try:
        data = json.loads(document, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RatesUnavailableError("unreadable JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("rates"), dict):
        raise RatesUnavailableError("not an object with `base` and `rates`")
    base = data.get("base")
    if not isinstance(base, str) or base not in CURRENCIES:
        raise RatesUnavailableError("`base` is not an ISO 4217 code")
    feeds = (feed,) if feed else ()
    skipped: set[str] = set()
    series = data["rates"]
    if series and all(isinstance(v, dict) for v in series.values()):
        days = []
        for day, quoted in series.items():
            table_day = _day({"date": day})
            rates = _rates(quoted, base, skipped)
            days.append(RateTable(base, rates, table_day, RateOrigin.LIVE, fetched_at, feeds))
    else:
        rates = _rates(series, base, skipped)
        days = [RateTable(base, rates, _day(data), RateOrigin.LIVE, fetched_at, feeds)]
    days = [day for day in days if day.rates]
    if not days:
        raise RatesUnavailableError("no rates")
    if skipped:
        log.info("event=rates_codes_skipped codes=%s", ",".join(sorted(skipped)))
    return sorted(days, key=lambda t: t.as_of)
