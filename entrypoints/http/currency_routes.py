"""HTTP routes of the currency capability. Public: API.md asks no token for them.

Work that depends only on the rate table is done once per table: the cross rates and their
texts (in the table), and the whole /rates body with its ETag per base (here).
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal

import punq
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from application.currency.convert import ConvertMoney, GetRates
from domain.money import decimal_text
from entrypoints.http.caching import cached_body, cached_json, etag_of, render

MAX_RENDERED = 512


def routes(container: punq.Container) -> list[Route]:
    get_rates: GetRates = container.resolve(GetRates)
    convert: ConvertMoney = container.resolve(ConvertMoney)
    # (base, day, stale) -> the table's rates from that base (identity check), body, ETag.
    rendered: dict[tuple[str, datetime.date, bool], tuple[Mapping[str, Decimal], bytes, str]] = {}

    async def rates_endpoint(request: Request) -> Response:
        params = request.query_params
        view = await get_rates(params.get("base"), params.get("date"))
        key = (view.base.code, view.as_of, view.stale)
        known = rendered.get(key)
        if known is None or known[0] is not view.rates:
            content = {
                "base": view.base.code,
                "rates": {code: decimal_text(rate) for code, rate in view.rates.items()},
                "as_of": view.as_of.isoformat(),
                "source": view.source.value,
                "stale": view.stale,
                "feeds": list(view.feeds),
            }
            body = render(content)
            if len(rendered) >= MAX_RENDERED:  # many past days asked: start afresh
                rendered.clear()
            known = rendered[key] = (view.rates, body, etag_of(body))
        return cached_body(request, known[1], known[2])

    async def convert_endpoint(request: Request) -> Response:
        params = request.query_params
        view = await convert(
            params.get("amount"), params.get("from"), params.get("to"), params.get("date")
        )
        c = view.conversion
        return cached_json(
            request,
            {
                "amount": decimal_text(c.amount.amount),
                "from": c.amount.currency.code,
                "to": c.result.currency.code,
                "rate": c.rate_text,
                "result": decimal_text(c.result.amount),
                "as_of": view.as_of.isoformat(),
                "source": view.source.value,
                "stale": view.stale,
            },
        )

    return [
        Route("/api/currency/rates", rates_endpoint, methods=["GET"]),
        Route("/api/currency/convert", convert_endpoint, methods=["GET"]),
    ]
