"""The generated ISO 4217 table against values known from the standard."""

import pytest

from domain.iso4217 import CURRENCIES
from domain.money import Currency


@pytest.mark.parametrize(
    ("code", "minor_units"),
    [
        ("JPY", 0),
        ("USD", 2),
        ("EUR", 2),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
        ("ISK", 0),
        ("KRW", 0),
        ("TND", 3),
        ("OMR", 3),
        ("UYW", 4),
        ("GBP", 2),
    ],
)
def test_minor_units_match_iso_4217(code: str, minor_units: int) -> None:
    assert Currency.of(code).minor_units == minor_units


def test_codes_without_minor_units_are_not_currencies_for_conversion() -> None:
    assert "XAU" not in CURRENCIES
    assert "XXX" not in CURRENCIES
    with pytest.raises(KeyError):
        Currency.of("XDR")


def test_every_code_is_three_upper_case_letters_with_sane_minor_units() -> None:
    assert len(CURRENCIES) > 150
    for code, (minor_units, name) in CURRENCIES.items():
        assert len(code) == 3 and code.isalpha() and code.isupper()
        assert 0 <= minor_units <= 4
        assert name
