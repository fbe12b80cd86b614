"""Cross rates and conversion: exact Decimal arithmetic, one rounding at the end."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.iso4217 import CURRENCIES
from domain.money import Currency, Money, decimal_text, exact_product
from domain.rates import RATE_DIGITS, UnknownRateError, convert
from tests.currency_fakes import table

TABLE = table()


def test_rates_against_the_base_are_the_quoted_ones() -> None:
    assert TABLE.rate("EUR", "USD") == Decimal("1.0573")
    assert TABLE.rate("EUR", "JPY") == Decimal("162.88")
    assert TABLE.rate("EUR", "EUR") == Decimal(1)


def test_a_cross_rate_divides_the_quotes_and_keeps_ten_significant_digits() -> None:
    # 162.88 / 1.0573 = 154.0527759387118130142816607...
    assert decimal_text(TABLE.rate("USD", "JPY")) == "154.0527759"
    # 1 / 1.0573 = 0.94580535326...
    assert decimal_text(TABLE.rate("USD", "EUR")) == "0.9458053533"


def test_same_currency_converts_at_exactly_one() -> None:
    conversion = convert(TABLE, Money(Decimal("10.505"), Currency.of("USD")), Currency.of("USD"))
    assert decimal_text(conversion.rate) == "1"
    assert decimal_text(conversion.result.amount) == "10.50"  # half-to-even, once


def test_conversion_rounds_once_with_the_rate_that_rates_shows() -> None:
    amount = Money(Decimal("10.50"), Currency.of("USD"))
    conversion = convert(TABLE, amount, Currency.of("JPY"))
    shown = TABLE.rates_from("USD")["JPY"]
    assert conversion.rate == shown
    # 10.50 * 154.0527759 = 1617.55414695 -> 1618 (JPY has no minor unit)
    assert decimal_text(conversion.result.amount) == "1618"


def test_conversion_into_three_decimal_currencies() -> None:
    conversion = convert(TABLE, Money(Decimal("100"), Currency.of("EUR")), Currency.of("KWD"))
    assert decimal_text(conversion.result.amount) == "32.571"


def test_a_very_large_amount_keeps_every_digit() -> None:
    amount = Money(Decimal("999999999999999.999999999999999999"), Currency.of("EUR"))
    conversion = convert(TABLE, amount, Currency.of("USD"))
    assert decimal_text(conversion.result.amount) == "1057300000000000.00"


def test_a_very_small_amount_rounds_to_zero_in_the_target_units() -> None:
    amount = Money(Decimal("0.000000000000000001"), Currency.of("EUR"))
    assert decimal_text(convert(TABLE, amount, Currency.of("JPY")).result.amount) == "0"


def test_a_code_without_a_rate_is_an_unknown_rate() -> None:
    with pytest.raises(UnknownRateError):
        TABLE.rate("USD", "AFN")


def test_rates_from_a_base_include_the_base_itself() -> None:
    rates = TABLE.rates_from("GBP")
    assert rates["GBP"] == Decimal(1)
    assert set(rates) == {"EUR", *TABLE.rates}


def test_exact_product_never_rounds_digits_away() -> None:
    a, b = Decimal("123456789012345.123456789012345678"), Decimal("98765.43210")
    assert Fraction(exact_product(a, b)) == Fraction(a) * Fraction(b)


codes = st.sampled_from(sorted(TABLE.codes()))
amounts = st.decimals(min_value=0, max_value=Decimal("999999999999999"), places=6, allow_nan=False)


@given(amount=amounts, from_code=codes, to_code=codes)
def test_conversion_is_decimal_with_at_most_the_target_decimals(
    amount: Decimal, from_code: str, to_code: str
) -> None:
    to = Currency.of(to_code)
    conversion = convert(TABLE, Money(amount, Currency.of(from_code)), to)
    result = conversion.result.amount
    assert type(result) is Decimal and type(conversion.rate) is Decimal
    assert result.as_tuple().exponent == -to.minor_units
    assert result >= 0
    # Rounded once: within half a minor unit of the exact product at the shown rate.
    exact = exact_product(amount, conversion.rate)
    assert abs(result - exact) <= Decimal(1).scaleb(-to.minor_units) / 2


@given(from_code=codes, to_code=codes)
def test_every_cross_rate_has_at_most_ten_significant_digits(from_code: str, to_code: str) -> None:
    rate = TABLE.rate(from_code, to_code)
    assert rate > 0
    assert len(rate.normalize().as_tuple().digits) <= RATE_DIGITS


@given(
    minor_units=st.sampled_from(sorted({u for u, _ in CURRENCIES.values()})),
    units=st.integers(0, 10**12),
)
def test_an_exact_tie_goes_to_the_even_neighbour(minor_units: int, units: int) -> None:
    code = next(c for c, (u, _) in CURRENCIES.items() if u == minor_units)
    step = Decimal(1).scaleb(-minor_units)
    tie = (Decimal(units) + Decimal("0.5")) * step
    rounded = Money(tie, Currency.of(code)).rounded().amount
    assert (rounded / step) % 2 == 0
    assert abs(rounded - tie) == step / 2


def test_cross_rates_and_views_are_computed_once_per_table() -> None:
    fresh = table()
    first = fresh.cross_rate("USD", "JPY")
    assert fresh.cross_rate("USD", "JPY") is first
    assert fresh.rates_from("GBP") is fresh.rates_from("GBP")
    # A new table starts afresh: nothing leaks from one table to the next.
    assert table().cross_rate("USD", "JPY") is not first


@given(st.sampled_from(TABLE.codes()), st.sampled_from(TABLE.codes()))
def test_a_kept_rate_and_its_text_are_what_a_fresh_table_computes(a: str, b: str) -> None:
    kept = TABLE.cross_rate(a, b)
    rate, text = table().cross_rate(a, b)
    assert kept == (rate, text)
    assert text == decimal_text(rate) == TABLE.rate_text(a, b)
    assert TABLE.rates_from(a)[b] == rate
