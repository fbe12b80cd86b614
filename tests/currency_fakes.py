"""Fakes and builders for the currency tests: a rates feed that answers what it is told."""

import asyncio
import datetime
from decimal import Decimal

from domain.errors import RatesUnavailableError
from domain.rate_history import Publication
from domain.rates import RateOrigin, RateTable

FEED_DAY = datetime.date(2026, 11, 24)
FEED_RATES = {"USD": "1.0573", "JPY": "162.88", "GBP": "0.83188", "KWD": "0.32571", "CHF": "0.9412"}


def table(
    rates: dict[str, str] | None = None,
    source: RateOrigin = RateOrigin.LIVE,
    fetched_at: float = 0.0,
    as_of: datetime.date = FEED_DAY,
) -> RateTable:
    quoted = FEED_RATES if rates is None else rates
    return RateTable("EUR", {c: Decimal(r) for c, r in quoted.items()}, as_of, source, fetched_at)


class FakeRateFeed:
    """Returns `table` (or raises when `down`); counts calls; can be held until released."""

    def __init__(self, answer: RateTable | None = None) -> None:
        self.answer = answer or table()
        self.down = False
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def fetch(self) -> Publication:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise RatesUnavailableError("feed is down (test)")
        return Publication((self.answer,))
