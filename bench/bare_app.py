"""The baseline: bare Starlette endpoints returning the same JSON as /api/auth/me and
/api/currency/convert, with none of the work behind them."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CONVERSION = {
    "amount": "10.50",
    "from": "USD",
    "to": "EUR",
    "rate": "0.9688983626",
    "result": "10.17",
    "as_of": "2024-06-28",
    "source": "fallback",
    "stale": True,
}


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"username": "admin", "roles": ["admin"]})


async def convert(request: Request) -> JSONResponse:
    return JSONResponse(CONVERSION)


def create_app() -> Starlette:
    return Starlette(routes=[Route("/api/auth/me", me), Route("/api/currency/convert", convert)])
