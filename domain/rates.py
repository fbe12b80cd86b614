"""Exchange rate tables and cross rates, in Decimal from end to end."""

import datetime
import enum
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import attrs

from domain.money import Currency, Money, exact_product

# Every cross rate is rounded once to this many significant digits, and that rounded rate is
# both what /rates shows and what /convert multiplies by: a client can redo the sum.
RATE_DIGITS = 10
_DIVISION_PRECISION = 60


class RateOrigin(enum.StrEnum):
    """Where the table being served came from."""

    LIVE = "live"  # fetched from the feed by this process
    CACHE = "cache"  # read from the shared rate cache (fetched by another process or earlier)
    FALLBACK = "fallback"  # the built-in table


class UnknownRateError(KeyError):
    """The table has no rate for this code (the code itself may be valid ISO 4217)."""


@attrs.frozen
class RateTable:
    """Rates quoted against `base` (1 base = rate units of each currency), for `as_of`."""

    base: str
    rates: Mapping[str, Decimal]
    as_of: datetime.date
    source: RateOrigin
    fetched_at: float
    # The feeds whose rates this table holds, in priority order (empty: the built-in table).
    feeds: tuple[str, ...] = ()

    def quotes(self, code: str) -> Decimal:
        if code == self.base:
            return Decimal(1)
        try:
            return self.rates[code]
        except KeyError:
            raise UnknownRateError(code) from None

    def covers(self, code: str) -> bool:
        return code == self.base or code in self.rates

    def codes(self) -> list[str]:
        return sorted({self.base, *self.rates})

    def rate(self, from_code: str, to_code: str) -> Decimal:
        """Units of `to_code` per unit of `from_code`, rounded half-to-even to RATE_DIGITS
        significant digits."""
        to_quote, from_quote = self.quotes(to_code), self.quotes(from_code)
        with localcontext() as ctx:
            ctx.prec = _DIVISION_PRECISION
            exact = to_quote / from_quote
            ctx.prec = RATE_DIGITS
            ctx.rounding = ROUND_HALF_EVEN
            return (+exact).normalize()

    def rates_from(self, base: str) -> dict[str, Decimal]:
        """Every rate of the table seen from `base`, including `base` itself (1)."""
        return {code: self.rate(base, code) for code in self.codes()}

    def is_stale(self, now: float, ttl: float) -> bool:
        return self.source is RateOrigin.FALLBACK or now - self.fetched_at > ttl


@attrs.frozen
class Conversion:
    """An amount converted at `rate`; `result` was rounded once, at the end."""

    amount: Money
    rate: Decimal
    result: Money


def convert(table: RateTable, amount: Money, to: Currency) -> Conversion:
    rate = table.rate(amount.currency.code, to.code)
    result = Money(exact_product(amount.amount, rate), to).rounded()
    return Conversion(amount, rate, result)
