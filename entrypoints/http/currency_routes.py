"""HTTP routes of the currency capability. Public: API.md asks no token for them."""

import punq
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from application.currency.convert import ConvertMoney, GetRates
from domain.money import decimal_text
from entrypoints.http.caching import cached_json


def routes(container: punq.Container) -> list[Route]:
    get_rates: GetRates = container.resolve(GetRates)
    convert: ConvertMoney = container.resolve(ConvertMoney)

    async def rates_endpoint(request: Request) -> Response:
        params = request.query_params
        view = await get_rates(params.get("base"), params.get("date"))
        return cached_json(
            request,
            {
                "base": view.base.code,
                "rates": {code: decimal_text(rate) for code, rate in view.rates.items()},
                "as_of": view.as_of.isoformat(),
                "source": view.source.value,
                "stale": view.stale,
                "feeds": list(view.feeds),
            },
        )

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
                "rate": decimal_text(c.rate),
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
