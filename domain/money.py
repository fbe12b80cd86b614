"""Money: exact decimal amounts in ISO 4217 currencies. No float ever touches an amount."""

import re
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import attrs

from domain.errors import ValidationError
from domain.iso4217 import CURRENCIES

MAX_INTEGER_DIGITS = 15
MAX_DECIMALS = 18
# Wide enough that no product of an amount and a rate is ever rounded before the last step.
EXACT_PRECISION = 120
AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
CODE = re.compile(r"[A-Za-z]{3}")


@attrs.frozen
class Currency:
    """An ISO 4217 currency; `minor_units` is how many decimals its amounts carry."""

    code: str
    minor_units: int

    @classmethod
    def of(cls, code: str) -> "Currency":
        """Raises KeyError for a code that is not in ISO 4217 (with minor units)."""
        minor_units, _ = CURRENCIES[code]
        return cls(code, minor_units)


@attrs.frozen
class Money:
    """An exact amount in a currency; rounding happens only through `rounded()`."""

    amount: Decimal
    currency: Currency

    def rounded(self) -> "Money":
        """Half-to-even to the currency's minor units (banker's rounding: no upward drift)."""
        with localcontext() as ctx:
            ctx.prec = EXACT_PRECISION
            exponent = Decimal(1).scaleb(-self.currency.minor_units)
            amount = self.amount.quantize(exponent, rounding=ROUND_HALF_EVEN)
        return Money(amount, self.currency)


def exact_product(a: Decimal, b: Decimal) -> Decimal:
    """a * b without any rounding: both have far fewer digits than EXACT_PRECISION."""
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return a * b


def decimal_text(value: Decimal) -> str:
    """Plain positional notation (never `1E+3`), as every amount and rate is written out."""
    return format(value, "f")


def parse_currency(raw: str | None, field: str) -> Currency:
    """A code given by a client: ISO 4217, any case. Errors name the client's field."""
    if raw is None or not raw.strip():
        raise ValidationError.single(field, "is required")
    code = raw.strip()
    if not CODE.fullmatch(code):
        raise ValidationError.single(field, "must be a three-letter ISO 4217 code")
    try:
        return Currency.of(code.upper())
    except KeyError:
        raise ValidationError.single(field, f"unknown currency code {code.upper()}") from None


def parse_amount(raw: str | None, field: str = "amount") -> Decimal:
    """A non-negative decimal string such as `10.50`; exponents, NaN and signs are refused."""
    if raw is None or not raw.strip():
        raise ValidationError.single(field, "is required")
    text = raw.strip()
    if len(text) > MAX_INTEGER_DIGITS + MAX_DECIMALS + 1 + 16:
        raise ValidationError.single(field, "is too long")
    if text.startswith("-") and AMOUNT.fullmatch(text[1:]):
        raise ValidationError.single(field, "must not be negative")
    if not AMOUNT.fullmatch(text):
        raise ValidationError.single(field, "must be a decimal number such as 10.50")
    whole, _, decimals = text.partition(".")
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise ValidationError.single(
            field, f"must have at most {MAX_INTEGER_DIGITS} integer digits"
        )
    if len(decimals) > MAX_DECIMALS:
        raise ValidationError.single(field, f"must have at most {MAX_DECIMALS} decimals")
    return Decimal(text)
