"""Request and response shapes of the currency routes; their constraints come from the domain."""

import datetime
from typing import Annotated

import attrs
import msgspec

from domain.iso4217 import CURRENCIES
from domain.money import MAX_DECIMALS, MAX_INTEGER_DIGITS
from domain.rates import RateOrigin
from entrypoints.http.contract import wire
from entrypoints.http.patterns import whole

# Every ISO 4217 code with minor units (the ones money exists in), any case, as clients write
# them: `eur` and `Eur` are EUR. JSON Schema has no case-insensitive flag, so each letter is a
# class of its two cases. Whether a rate exists for a code depends on the feeds and, with
# `date`, on the day: that is the one refusal (422, "no exchange rate for ...") no schema can
# say in advance.
CODE_PATTERN = whole(
    "|".join("".join(f"[{c}{c.lower()}]" for c in code) for code in sorted(CURRENCIES))
)
CODE_MESSAGE = "must be an ISO 4217 currency code (any case), such as EUR"
AMOUNT_MESSAGE = (
    f"must be a decimal number such as 10.50, with at most {MAX_INTEGER_DIGITS} integer digits"
    f" and {MAX_DECIMALS} decimals"
)
Code = Annotated[
    str,
    msgspec.Meta(
        pattern=CODE_PATTERN,
        description="ISO 4217, any case",
        extra={"message": CODE_MESSAGE},
    ),
]
UpperCode = Annotated[str, msgspec.Meta(pattern=whole("[A-Z]{3}"))]
Amount = Annotated[
    str,
    msgspec.Meta(
        pattern=whole(f"0*[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\\.[0-9]{{1,{MAX_DECIMALS}}})?"),
        max_length=MAX_INTEGER_DIGITS + MAX_DECIMALS + 1 + 16,
        description=(
            f"Non-negative decimal such as 10.50: at most {MAX_INTEGER_DIGITS} integer digits"
            f" and {MAX_DECIMALS} decimals"
        ),
        extra={"message": AMOUNT_MESSAGE},
    ),
]
DecimalText = Annotated[str, msgspec.Meta(pattern=whole("[0-9]+(?:\\.[0-9]+)?"))]
Day = Annotated[
    str,
    msgspec.Meta(
        pattern=whole("[0-9]{4}-[0-9]{2}-[0-9]{2}"),
        extra_json_schema={"format": "date"},
        description="YYYY-MM-DD: the rates published that day, or the latest before it",
        extra={"message": "must be a date as YYYY-MM-DD"},
    ),
]


@attrs.frozen
class RatesQuery:
    base: Code = "EUR"
    date: Day | None = None


@attrs.frozen
class ConvertQuery:
    amount: Amount
    from_: Code = attrs.field(metadata=wire("from"))
    to: Code
    date: Day | None = None


@attrs.frozen
class Rates:
    """Every rate from `base` (1 base = rate units); `stale` and `source` say how far to trust
    them."""

    base: UpperCode
    rates: dict[UpperCode, DecimalText]
    as_of: datetime.date
    source: RateOrigin
    stale: bool
    feeds: Annotated[
        list[str],
        msgspec.Meta(description="The feeds whose rates the table holds (no credentials or query)"),
    ]


@attrs.frozen
class Conversion:
    """`result` is `amount` times `rate`, rounded once, half-to-even, to the target's minor
    units."""

    amount: DecimalText
    from_: UpperCode = attrs.field(metadata=wire("from"))
    to: UpperCode
    rate: DecimalText
    result: DecimalText
    as_of: datetime.date
    source: RateOrigin
    stale: bool


RATES_EXAMPLE = Rates(
    "EUR",
    {"EUR": "1", "GBP": "0.82765", "JPY": "162.88", "USD": "1.0321"},
    datetime.date(2026, 1, 5),
    RateOrigin.LIVE,
    False,
    ["https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"],
)
CONVERSION_EXAMPLE = Conversion(
    "10.50", "USD", "JPY", "157.8141653", "1657", datetime.date(2026, 1, 5), RateOrigin.LIVE, False
)
