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
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from domain.errors import BallastError
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
from entrypoints.http.body_limit import BodyLimitMiddleware
from entrypoints.http.contract import Endpoint, Operation
from entrypoints.http.openapi import document
from entrypoints.http.problems import handle_domain_error, handle_http_exception, handle_unexpected
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


def served(endpoints: list[Endpoint]) -> list[BaseRoute]:
    """One route per path, so that a method the path does not serve is a 405 naming all the
    methods it does (Allow)."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in endpoints:
        by_path.setdefault(endpoint.operation.path, {})[endpoint.operation.method] = endpoint
    routes: list[BaseRoute] = []
    for path, methods in by_path.items():
        if len(methods) == 1:
            ((method, only),) = methods.items()
            routes.append(Route(path, only.serve, methods=[method]))
            continue

        async def dispatch(request: Request, methods: dict[str, Endpoint] = methods) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            return await methods[method].serve(request)

        routes.append(Route(path, dispatch, methods=list(methods)))
    return routes


def create_app(container: punq.Container | None = None) -> Starlette:
    if container is None:
        container = bootstrap(Settings.from_env())
    settings: Settings = container.resolve(Settings)
    lifecycle: Lifecycle = container.resolve(Lifecycle)
    spec: dict[str, Any] = {}

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

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

    app = Starlette(
        routes=[*served(endpoints), *docs.assets()],
        middleware=[
            *operations.outer_middleware(container),
            Middleware(BodyLimitMiddleware),
            *operations.inner_middleware(container),
        ],
        exception_handlers={
            BallastError: handle_domain_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    app.router = IndexedRouter(app.router.routes, lifespan=lifespan)
    return app
