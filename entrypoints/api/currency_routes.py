"""HTTP routes of the currency capability. Public: API.md asks no token for them.

Work that depends only on the rate table is done once per table: the cross rates and their
texts (in the table), the whole /rates body with its ETag per base, and each conversion asked
again of the current table (rendered once, and kept while the use case says it is current).
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal

import punq
from starlette.requests import Request
from starlette.responses import Response

from application.bounded_cache import BoundedCache
from application.currency.convert import ConversionView, ConvertMoney, GetRates
from domain.money import decimal_text
from entrypoints.api import currency_shapes as shapes
from entrypoints.http.caching import Rendered, cached_body, rendered
from entrypoints.http.contract import Endpoint, Operation, builtins

MAX_RENDERED = 512
RATES = Operation(
    "GET",
    "/api/currency/rates",
    "getRates",
    "Exchange rates from a base currency (decimal strings)",
    "currency",
    response=shapes.Rates,
    errors=(422,),
    secured=False,
    query=shapes.RatesQuery,
    cached=True,
    example=shapes.RATES_EXAMPLE,
)
CONVERT = Operation(
    "GET",
    "/api/currency/convert",
    "convertMoney",
    "Convert an amount; the result is rounded half-to-even to the target's minor units",
    "currency",
    response=shapes.Conversion,
    errors=(422,),
    secured=False,
    query=shapes.ConvertQuery,
    cached=True,
    example=shapes.CONVERSION_EXAMPLE,
)


def routes(container: punq.Container) -> list[Endpoint]:
    get_rates: GetRates = container.resolve(GetRates)
    convert: ConvertMoney = container.resolve(ConvertMoney)
    # (base, day, stale) -> the table's rates from that base (identity check), its body.
    tables: BoundedCache[tuple[str, datetime.date, bool], tuple[Mapping[str, Decimal], Rendered]]
    tables = BoundedCache("rendered_rates", MAX_RENDERED)

    async def rates_endpoint(request: Request, query: shapes.RatesQuery) -> Response:
        view = await get_rates(query.base, query.date)
        key = (view.base.code, view.as_of, view.stale)
        known = tables.get(key)
        if known is None or known[0] is not view.rates:
            rates = {code: decimal_text(rate) for code, rate in view.rates.items()}
            shape = shapes.Rates(
                view.base.code, rates, view.as_of, view.source, view.stale, list(view.feeds)
            )
            known = (view.rates, rendered(builtins(shape)))
            tables.put(key, known)
        return cached_body(request, known[1])

    # (amount, from, to) -> the view it was rendered from (identity check), its body.
    conversions: BoundedCache[tuple[str, str, str], tuple[ConversionView, Rendered]]
    conversions = BoundedCache("rendered_conversions", MAX_RENDERED)

    async def convert_endpoint(request: Request, query: shapes.ConvertQuery) -> Response:
        args = (query.amount, query.from_, query.to)
        known = conversions.get(args) if query.date is None else None
        if known is None or not convert.is_current(known[0]):
            view = await convert(*args, query.date)
            c = view.conversion
            shape = shapes.Conversion(
                decimal_text(c.amount.amount),
                c.amount.currency.code,
                c.result.currency.code,
                c.rate_text,
                decimal_text(c.result.amount),
                view.as_of,
                view.source,
                view.stale,
            )
            known = (view, rendered(builtins(shape)))
            if query.date is None:
                conversions.put(args, known)
        return cached_body(request, known[1])

    return [Endpoint(RATES, rates_endpoint), Endpoint(CONVERT, convert_endpoint)]
