"""The app factory: `create_app()` builds the Starlette app from a container, with no I/O
at import. Serve it with `ballast serve` (or `uvicorn entrypoints.http.app:create_app --factory
--no-proxy-headers`: only BALLAST_TRUSTED_PROXIES decides whose X-Forwarded-For is believed).
"""

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import punq
from starlette.applications import Starlette
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from entrypoints.bootstrap import bootstrap
from entrypoints.http import (
    auth_routes,
    currency_routes,
    docs,
    health_routes,
    notification_routes,
    operations,
    user_routes,
)
from entrypoints.http.contract import Endpoint, Operation
from entrypoints.http.json_body import JsonResponse
from entrypoints.http.openapi import document
from entrypoints.http.problems import handle_unexpected
from entrypoints.http.routing import IndexedRouter
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import Settings, print_admin_password

log = logging.getLogger("ballast")

OPENAPI = Operation(
    "GET",
    "/openapi.json",
    "getOpenApi",
    "This document (OpenAPI 3.1), generated from the shapes that validate the requests",
    "operations",
    response=dict[str, Any],
    secured=False,
    example={"openapi": "3.1.0"},
)


class App(Starlette):
    """Starlette, with the edge (edge.py) answering the errors requests meet: Starlette's own
    ExceptionMiddleware would cost every request one more layer, a Request and two closures
    to map the same errors. An unexpected error still meets Starlette's outermost layer, which
    answers it with `handle_unexpected`."""

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return ServerErrorMiddleware(app, handler=handle_unexpected)


class ByMethod:
    """The endpoints of one path, picked by the request's method (HEAD is served as GET)."""

    def __init__(self, methods: dict[str, Endpoint]) -> None:
        self.methods = methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        await self.methods[method](scope, receive, send)


def served(endpoints: list[Endpoint]) -> list[BaseRoute]:
    """One route per path, so that a method the path does not serve is a 405 naming all the
    methods it does (Allow). Each endpoint is a plain ASGI app (see `Endpoint.__call__`)."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in endpoints:
        by_path.setdefault(endpoint.operation.path, {})[endpoint.operation.method] = endpoint
    routes: list[BaseRoute] = []
    for path, methods in by_path.items():
        app = next(iter(methods.values())) if len(methods) == 1 else ByMethod(methods)
        routes.append(Route(path, app, methods=list(methods)))
    return routes


def create_app(container: punq.Container | None = None) -> Starlette:
    if container is None:
        container = bootstrap(Settings.from_env())
    settings: Settings = container.resolve(Settings)
    lifecycle: Lifecycle = container.resolve(Lifecycle)
    spec: dict[str, Any] = {}

    async def openapi(request: Request) -> Response:
        return JsonResponse(spec)

    endpoints = [
        *auth_routes.routes(container),
        *user_routes.routes(container),
        *currency_routes.routes(container),
        *notification_routes.routes(container),
        *health_routes.routes(container),
        Endpoint(OPENAPI, openapi),
        *operations.routes(container),
    ]
    spec.update(document(e.operation for e in endpoints))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await lifecycle.start()
        if settings.admin_password_generated and settings.admin_password:
            # Served by another server than `ballast serve` (which prints it itself).
            print_admin_password(settings.admin_password)
        log.info("event=started storage=%s env=%s", settings.storage.value, settings.env)
        try:
            yield
        finally:
            await lifecycle.stop()
            log.info("event=stopped")

    app = App(
        routes=[*served(endpoints), *docs.assets()],
        middleware=operations.middleware(container),
        lifespan=lifespan,
    )
    app.router = IndexedRouter(app.router.routes, lifespan=lifespan)
    return app
