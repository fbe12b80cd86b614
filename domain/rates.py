"""Exchange rate tables and cross rates, in Decimal from end to end."""

import datetime
import enum
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import attrs

from domain.money import Currency, Money, decimal_text, exact_product

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
    """Rates quoted against `base` (1 base = rate units of each currency), for `as_of`.

    A table is replaced, never changed: each cross rate, its text and each base's view are
    computed once, on first use, and kept with the table (at most codes² entries).
    """

    base: str
    rates: Mapping[str, Decimal]
    as_of: datetime.date
    source: RateOrigin
    fetched_at: float
    # The feeds whose rates this table holds, in priority order (empty: the built-in table).
    feeds: tuple[str, ...] = ()
    _cross: dict[tuple[str, str], tuple[Decimal, str]] = attrs.field(
        factory=dict, init=False, repr=False, eq=False
    )
    _views: dict[str, dict[str, Decimal]] = attrs.field(
        factory=dict, init=False, repr=False, eq=False
    )

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
        return self.cross_rate(from_code, to_code)[0]

    def rate_text(self, from_code: str, to_code: str) -> str:
        """`rate` as every response writes it (decimal_text)."""
        return self.cross_rate(from_code, to_code)[1]

    def cross_rate(self, from_code: str, to_code: str) -> tuple[Decimal, str]:
        """The rate and its text, computed once per pair."""
        known = self._cross.get((from_code, to_code))
        if known is not None:
            return known
        to_quote, from_quote = self.quotes(to_code), self.quotes(from_code)
        with localcontext() as ctx:
            ctx.prec = _DIVISION_PRECISION
            exact = to_quote / from_quote
            ctx.prec = RATE_DIGITS
            ctx.rounding = ROUND_HALF_EVEN
            rate = (+exact).normalize()
        known = self._cross[(from_code, to_code)] = (rate, decimal_text(rate))
        return known

    def rates_from(self, base: str) -> dict[str, Decimal]:
        """Every rate of the table seen from `base`, including `base` itself (1). The same
        dict for every caller while the table lives: read it, never change it."""
        view = self._views.get(base)
        if view is None:
            view = self._views[base] = {code: self.rate(base, code) for code in self.codes()}
        return view

    def is_stale(self, now: float, ttl: float) -> bool:
        return self.source is RateOrigin.FALLBACK or now - self.fetched_at > ttl


@attrs.frozen
class Conversion:
    """An amount converted at `rate`; `result` was rounded once, at the end."""

    amount: Money
    rate: Decimal
    result: Money
    rate_text: str  # `rate` as responses write it, computed once per table and pair


def convert(table: RateTable, amount: Money, to: Currency) -> Conversion:
    rate, text = table.cross_rate(amount.currency.code, to.code)
    result = Money(exact_product(amount.amount, rate), to).rounded()
    return Conversion(amount, rate, result, text)
