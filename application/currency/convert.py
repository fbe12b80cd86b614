"""The two currency use cases: list the rates from a base, and convert an amount."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import attrs

from application.currency.rates_service import RatesService
from domain.errors import FieldError, ValidationError
from domain.money import Currency, Money, parse_amount, parse_currency
from domain.rates import Conversion, RateOrigin, RateTable, convert

T = TypeVar("T")
DEFAULT_BASE = "EUR"


@attrs.frozen
class RatesView:
    """Rates seen from `base`; `stale` and `source` say how far to trust them."""

    base: Currency
    rates: dict[str, Decimal]
    as_of: datetime.date
    source: RateOrigin
    stale: bool


@attrs.frozen
class ConversionView:
    """A conversion and the table it was made with."""

    conversion: Conversion
    as_of: datetime.date
    source: RateOrigin
    stale: bool


def _field(errors: list[FieldError], parse: Callable[[], T]) -> T | None:
    """Runs one field's parser, collecting its error so that all fields are reported at once."""
    try:
        return parse()
    except ValidationError as e:
        errors.extend(e.errors)
        return None


def _covered(
    errors: list[FieldError], table: RateTable, currency: Currency | None, field: str
) -> Currency | None:
    if currency is not None and not table.covers(currency.code):
        errors.append(FieldError(field, f"no exchange rate for {currency.code}"))
        return None
    return currency


@attrs.define
class GetRates:
    """Every rate of the current table from one base (default EUR, the feed's own base)."""

    service: RatesService

    async def __call__(self, base: str | None) -> RatesView:
        snapshot = self.service.snapshot()
        errors: list[FieldError] = []
        currency = _field(errors, lambda: parse_currency(base or DEFAULT_BASE, "base"))
        currency = _covered(errors, snapshot.table, currency, "base")
        if errors or currency is None:
            raise ValidationError(errors)
        table = snapshot.table
        return RatesView(
            currency, table.rates_from(currency.code), table.as_of, table.source, snapshot.stale
        )


@attrs.define
class ConvertMoney:
    """Converts at the rate /rates shows for the pair, rounding the result once, at the end."""

    service: RatesService

    async def __call__(
        self, amount: str | None, from_: str | None, to: str | None
    ) -> ConversionView:
        snapshot = self.service.snapshot()
        table = snapshot.table
        errors: list[FieldError] = []
        value = _field(errors, lambda: parse_amount(amount, "amount"))
        from_currency = _field(errors, lambda: parse_currency(from_, "from"))
        from_currency = _covered(errors, table, from_currency, "from")
        to_currency = _covered(
            errors, table, _field(errors, lambda: parse_currency(to, "to")), "to"
        )
        if errors or value is None or from_currency is None or to_currency is None:
            raise ValidationError(errors)
        conversion = convert(table, Money(value, from_currency), to_currency)
        return ConversionView(conversion, table.as_of, table.source, snapshot.stale)
