"""Rates over time: what a feed publishes (one day or many), several feeds merged into one
table, and the history a conversion at a date is answered from."""

import bisect
import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext

import attrs

from domain.rates import RateTable

# Digits kept when a rate is re-based onto another feed's base currency: more than any feed
# publishes, so the one rounding that matters stays the cross rate's (domain.rates).
_REBASE_DIGITS = 20


@attrs.frozen
class Publication:
    """One fetch of the feeds: every day they published, oldest first."""

    days: tuple[RateTable, ...]

    @property
    def latest(self) -> RateTable:
        return self.days[-1]


def merge(tables: Sequence[RateTable]) -> RateTable | None:
    """One table from several feeds' tables of the same day, in priority order: each
    currency's rate comes from the first table that quotes it. A table is re-based onto the
    first one's base through a currency both know; one that shares none is left out.
    `feeds` names the tables that contributed."""
    if not tables:
        return None
    first = tables[0]
    rates: dict[str, Decimal] = dict(first.rates)
    feeds = list(first.feeds)
    for table in tables[1:]:
        factor = _units_per_base(first.base, rates, table)
        if factor is None:
            continue
        quoted = {table.base: Decimal(1), **table.rates}
        added = False
        with localcontext() as ctx:
            ctx.prec = _REBASE_DIGITS
            for code, rate in quoted.items():
                if code != first.base and code not in rates:
                    rates[code] = (factor * rate).normalize()
                    added = True
        if added:
            feeds.extend(f for f in table.feeds if f not in feeds)
    return attrs.evolve(first, rates=rates, feeds=tuple(feeds))


def _units_per_base(base: str, rates: dict[str, Decimal], table: RateTable) -> Decimal | None:
    """How many units of `table.base` one unit of `base` buys, or None if no link."""
    with localcontext() as ctx:
        ctx.prec = _REBASE_DIGITS
        if table.base == base:
            return Decimal(1)
        if table.base in rates:
            return rates[table.base]
        if base in table.rates:
            return Decimal(1) / table.rates[base]
    return None


def merge_days(publications: Sequence[Sequence[RateTable]]) -> tuple[RateTable, ...]:
    """Each day's tables of several feeds (in priority order) merged; days oldest first."""
    by_day: dict[datetime.date, list[RateTable]] = {}
    for days in publications:
        for table in days:
            by_day.setdefault(table.as_of, []).append(table)
    merged = (merge(tables) for _, tables in sorted(by_day.items()))
    return tuple(t for t in merged if t is not None)


class RateHistory:
    """Published tables by day. A date without a publication (a weekend, a holiday) is
    answered with the latest publication before it."""

    def __init__(self, tables: Iterable[RateTable] = ()) -> None:
        self._by_day: dict[datetime.date, RateTable] = {}
        self._days: list[datetime.date] = []
        self.add(tables)

    def add(self, tables: Iterable[RateTable], replace: bool = True) -> int:
        """Adds each table's day (replacing a day already held, unless `replace` is False);
        returns how many days were new."""
        new = 0
        for table in tables:
            if table.as_of not in self._by_day:
                new += 1
            elif not replace:
                continue
            self._by_day[table.as_of] = table
        if new:
            self._days = sorted(self._by_day)
        return new

    def on_or_before(self, day: datetime.date) -> RateTable | None:
        at = bisect.bisect_right(self._days, day)
        return self._by_day[self._days[at - 1]] if at else None

    @property
    def first(self) -> datetime.date | None:
        return self._days[0] if self._days else None

    @property
    def last(self) -> datetime.date | None:
        return self._days[-1] if self._days else None

    def days(self) -> list[datetime.date]:
        return list(self._days)

    def __len__(self) -> int:
        return len(self._days)
