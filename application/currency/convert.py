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
    feeds: tuple[str, ...] = ()


@attrs.frozen
class ConversionView:
    """A conversion and the table it was made with."""

    conversion: Conversion
    as_of: datetime.date
    source: RateOrigin
    stale: bool
    table: RateTable = attrs.field(eq=False, repr=False)  # the one it was made with


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


def _day(errors: list[FieldError], raw: str | None, clock_now: float) -> datetime.date | None:
    if raw is None:
        return None
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError("date", "must be a date as YYYY-MM-DD"))
        return None
    if len(raw) != len("YYYY-MM-DD"):
        errors.append(FieldError("date", "must be a date as YYYY-MM-DD"))
        return None
    today = datetime.datetime.fromtimestamp(clock_now, datetime.UTC).date()
    if day > today:
        errors.append(FieldError("date", f"is in the future (today is {today.isoformat()})"))
        return None
    return day


async def _table_for(
    service: RatesService, errors: list[FieldError], date: str | None
) -> tuple[RateTable | None, bool]:
    """The table to answer from and whether it is stale: the current one, or the one
    published on `date` (or the latest before it), which is history and never stale."""
    day = _day(errors, date, service.clock.now())
    if date is None:
        snapshot = service.snapshot()
        return snapshot.table, snapshot.stale
    if day is None:
        return None, False
    table = await service.on(day)
    if table is None:
        first = service.history_starts
        since = f" (rates start on {first.isoformat()})" if first else ""
        errors.append(FieldError("date", f"is before the first published rates{since}"))
    return table, False


@attrs.define
class GetRates:
    """Every rate of a table from one base (default EUR, the feed's own base): the current
    table, or the one of a date."""

    service: RatesService

    async def __call__(self, base: str | None, date: str | None = None) -> RatesView:
        errors: list[FieldError] = []
        table, stale = await _table_for(self.service, errors, date)
        currency = _field(errors, lambda: parse_currency(base or DEFAULT_BASE, "base"))
        if table is not None:
            currency = _covered(errors, table, currency, "base")
        if errors or currency is None or table is None:
            raise ValidationError(errors)
        return RatesView(
            currency, table.rates_from(currency.code), table.as_of, table.source, stale, table.feeds
        )


@attrs.define
class ConvertMoney:
    """Converts at the rate /rates shows for the pair, rounding the result once, at the end.
    A currency to itself needs no table: the rate is 1, for every ISO 4217 code."""

    service: RatesService

    async def __call__(
        self, amount: str | None, from_: str | None, to: str | None, date: str | None = None
    ) -> ConversionView:
        errors: list[FieldError] = []
        table, stale = await _table_for(self.service, errors, date)
        value = _field(errors, lambda: parse_amount(amount, "amount"))
        from_currency = _field(errors, lambda: parse_currency(from_, "from"))
        to_currency = _field(errors, lambda: parse_currency(to, "to"))
        same = from_currency is not None and from_currency == to_currency
        if table is not None and not same:
            from_currency = _covered(errors, table, from_currency, "from")
            to_currency = _covered(errors, table, to_currency, "to")
        if errors or value is None or from_currency is None or to_currency is None:
            raise ValidationError(errors)
        assert table is not None  # no table is a date error, reported above
        money = Money(value, from_currency)
        if same:
            conversion = Conversion(money, Decimal(1), money.rounded(), "1")
        else:
            conversion = convert(table, money, to_currency)
        return ConversionView(conversion, table.as_of, table.source, stale, table)

    def is_current(self, view: ConversionView) -> bool:
        """Whether `view` (of the current table, asked without a date) still answers its
        question: the same table is current, and as stale as it was. What callers kept of
        a view is good as long as this says so."""
        snapshot = self.service.snapshot()
        return view.table is snapshot.table and view.stale == snapshot.stale
