"""The baseline: a bare Starlette endpoint returning the same JSON as /api/auth/me."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"username": "admin", "roles": ["admin"]})


def create_app() -> Starlette:
    return Starlette(routes=[Route("/api/auth/me", me)])
