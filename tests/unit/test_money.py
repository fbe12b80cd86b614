"""Amounts and currencies as clients send them, and rounding to minor units."""

from decimal import Decimal

import pytest

from domain.errors import ValidationError
from domain.money import Currency, Money, decimal_text, parse_amount, parse_currency


def money(amount: str, code: str) -> Money:
    return Money(Decimal(amount), Currency.of(code))


@pytest.mark.parametrize(
    ("amount", "code", "expected"),
    [
        ("2.5", "JPY", "2"),  # tie: to the even neighbour
        ("3.5", "JPY", "4"),
        ("0.125", "USD", "0.12"),
        ("0.135", "USD", "0.14"),
        ("0.1250000001", "USD", "0.13"),  # not a tie
        ("1.0005", "KWD", "1.000"),
        ("1.0015", "KWD", "1.002"),
        ("0.00005", "CLF", "0.0000"),
        ("0.00015", "CLF", "0.0002"),
        ("10", "USD", "10.00"),
        ("7", "KWD", "7.000"),
        ("999999999999999.995", "USD", "1000000000000000.00"),
    ],
)
def test_rounding_is_half_to_even_to_the_minor_units(amount: str, code: str, expected: str) -> None:
    assert decimal_text(money(amount, code).rounded().amount) == expected


def test_a_tiny_amount_rounds_to_zero_with_the_currency_decimals() -> None:
    assert decimal_text(money("0.000000000000000001", "USD").rounded().amount) == "0.00"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("10.50", "10.50"), ("0", "0"), ("007.5", "7.5"), (" 3 ", "3"), ("999999999999999", None)],
)
def test_amounts_keep_every_digit_they_were_given(raw: str, expected: str | None) -> None:
    assert decimal_text(parse_amount(raw)) == (expected or raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "is required"),
        ("", "is required"),
        ("-1", "must not be negative"),
        ("-0.5", "must not be negative"),
        ("abc", "must be a decimal number such as 10.50"),
        ("1e5", "must be a decimal number such as 10.50"),
        ("NaN", "must be a decimal number such as 10.50"),
        ("Infinity", "must be a decimal number such as 10.50"),
        ("1,5", "must be a decimal number such as 10.50"),
        ("10.", "must be a decimal number such as 10.50"),
        ("+1", "must be a decimal number such as 10.50"),
        ("1000000000000000", "must have at most 15 integer digits"),
        ("0." + "1" * 19, "must have at most 18 decimals"),
        ("1" * 200, "is too long"),
    ],
)
def test_bad_amounts_are_refused_naming_the_field(raw: str | None, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_amount(raw)
    assert [(e.field, e.message) for e in caught.value.errors] == [("amount", message)]


def test_codes_are_case_insensitive_and_come_out_upper_case() -> None:
    assert parse_currency("usd", "from") == Currency("USD", 2)
    assert parse_currency("JpY", "to") == Currency("JPY", 0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ZZZ", "unknown currency code ZZZ"),
        ("XAU", "unknown currency code XAU"),
        ("US", "must be a three-letter ISO 4217 code"),
        ("US1", "must be a three-letter ISO 4217 code"),
        (None, "is required"),
    ],
)
def test_unknown_codes_are_refused_naming_the_field(raw: str | None, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_currency(raw, "to")
    assert [(e.field, e.message) for e in caught.value.errors] == [("to", message)]
