"""Several feeds merged into one table, and the history conversions at a date come from."""

import datetime
from decimal import Decimal

from domain.rate_history import RateHistory, merge, merge_days
from domain.rates import RateOrigin, RateTable

DAY = datetime.date(2026, 11, 27)


def table(base: str, rates: dict[str, str], feed: str, day: datetime.date = DAY) -> RateTable:
    quoted = {code: Decimal(rate) for code, rate in rates.items()}
    return RateTable(base, quoted, day, RateOrigin.LIVE, 0.0, (feed,))


ECB = table("EUR", {"USD": "1.05", "JPY": "160"}, "ecb")
OXR = table("USD", {"EUR": "0.95", "KWD": "0.3075", "JPY": "150"}, "oxr")


def test_each_currency_comes_from_the_first_feed_that_quotes_it() -> None:
    merged = merge([ECB, OXR])

    assert merged is not None
    assert merged.base == "EUR"
    assert merged.rates["USD"] == Decimal("1.05")  # the ECB's, not 1/0.95
    assert merged.rates["JPY"] == Decimal("160")  # the ECB's, not 150 * 1.05
    # KWD only from the second feed, re-based through USD: 1 EUR = 1.05 USD = 1.05 * 0.3075
    assert merged.rates["KWD"] == Decimal("0.322875")
    assert merged.feeds == ("ecb", "oxr")


def test_a_feed_that_adds_nothing_is_not_named() -> None:
    merged = merge([ECB, table("EUR", {"USD": "1.06"}, "other")])

    assert merged is not None
    assert merged.feeds == ("ecb",)


def test_a_feed_sharing_no_currency_with_the_first_is_left_out() -> None:
    merged = merge([ECB, table("CHF", {"KWD": "0.35"}, "island")])

    assert merged is not None
    assert "KWD" not in merged.rates
    assert merged.feeds == ("ecb",)


def test_a_feed_quoting_the_first_base_links_through_it() -> None:
    merged = merge([ECB, table("GBP", {"EUR": "1.2", "AED": "4.6"}, "gbp")])

    assert merged is not None
    # 1 EUR = 1/1.2 GBP; 1 GBP = 4.6 AED
    assert merged.rates["AED"] == Decimal("3.8333333333333333333")  # 20 digits kept
    assert merged.rates["GBP"] == Decimal("0.83333333333333333333")


def test_days_are_merged_day_by_day_oldest_first() -> None:
    friday, monday = datetime.date(2026, 11, 27), datetime.date(2026, 11, 30)
    ecb = [
        table("EUR", {"USD": "1.05"}, "ecb", friday),
        table("EUR", {"USD": "1.06"}, "ecb", monday),
    ]
    oxr = [table("USD", {"KWD": "0.31"}, "oxr", friday)]

    days = merge_days([ecb, oxr])

    assert [d.as_of for d in days] == [friday, monday]
    assert set(days[0].rates) == {"USD", "KWD"}
    assert set(days[1].rates) == {"USD"}


def test_a_day_without_a_publication_is_answered_with_the_one_before() -> None:
    friday, monday = datetime.date(2026, 11, 27), datetime.date(2026, 11, 30)
    history = RateHistory([table("EUR", {"USD": "1.06"}, "ecb", monday)])
    history.add([table("EUR", {"USD": "1.05"}, "ecb", friday)])

    assert history.on_or_before(datetime.date(2026, 11, 29)).as_of == friday  # type: ignore[union-attr]
    assert history.on_or_before(monday).as_of == monday  # type: ignore[union-attr]
    assert history.on_or_before(datetime.date(2026, 11, 26)) is None
    assert (history.first, history.last, len(history)) == (friday, monday, 2)


def test_adding_without_replacing_keeps_what_was_there() -> None:
    history = RateHistory([ECB])

    assert history.add([table("EUR", {"USD": "9"}, "built-in")], replace=False) == 0
    assert history.on_or_before(DAY) == ECB
    history.add([table("EUR", {"USD": "9"}, "newer")])
    assert history.on_or_before(DAY).rates["USD"] == Decimal("9")  # type: ignore[union-attr]
