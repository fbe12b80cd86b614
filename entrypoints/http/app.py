"""The app factory: `create_app()` builds the Starlette app from a container, with no I/O
at import. Serve it with `ballast serve` (or `uvicorn entrypoints.http.app:create_app --factory
--no-proxy-headers`: only BALLAST_TRUSTED_PROXIES decides whose X-Forwarded-For is believed).
"""

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import punq
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, ExceptionHandler, Lifespan

from domain.errors import BallastError
from entrypoints.bootstrap import bootstrap
from entrypoints.http import (
    auth_routes,
    currency_routes,
    docs,
    health_routes,
    notification_routes,
    operations,
    problem_types,
    user_routes,
)
from entrypoints.http.contract import Endpoint, Operation
from entrypoints.http.json_body import JsonResponse
from entrypoints.http.openapi import document
from entrypoints.http.problems import answer, handle_unexpected
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
    to map the same errors, so it is added only when the app has exception handlers of its
    user's (`add_exception_handler`), with the edge's mapping as its default. Everything else
    Starlette promises holds: a handler for 500 or Exception answers unexpected errors (else
    `handle_unexpected`), `debug` and `max_body_size` are honoured, and each route is named
    by its operationId (`url_path_for("whoAmI")`). The router, indexed (routing.py), is made
    once, here."""

    def __init__(
        self,
        routes: Sequence[BaseRoute],
        lifespan: Lifespan[Starlette] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.router = IndexedRouter(routes, lifespan=lifespan)

    def build_middleware_stack(self) -> ASGIApp:
        unexpected: ExceptionHandler = handle_unexpected
        handlers: dict[Any, ExceptionHandler] = {}
        for key, handler in self.exception_handlers.items():
            if key in (500, Exception):
                unexpected = handler
            else:
                handlers[key] = handler
        middleware = [Middleware(ServerErrorMiddleware, handler=unexpected, debug=self.debug)]
        if self.max_body_size is not None:
            middleware.append(
                Middleware(RequestBodyLimitMiddleware, max_body_size=self.max_body_size)
            )
        middleware += self.user_middleware
        if handlers:
            # The user's handlers first (by status code, then by class), the edge's after.
            defaults: dict[Any, ExceptionHandler] = {BallastError: _answer, HTTPException: _answer}
            middleware.append(
                Middleware(ExceptionMiddleware, handlers=defaults | handlers, debug=self.debug)
            )
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        return app


def _answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BallastError | HTTPException)  # registered for these alone
    return answer(request, exc)


def served(endpoints: list[Endpoint]) -> list[BaseRoute]:
    """One route per operation, named by its operationId. Each endpoint is a plain ASGI app
    (see `Endpoint.__call__`); a method no route of a path serves is a 405 naming all those
    it does (problems.allowed_methods)."""
    return [
        Route(e.operation.path, e, methods=[e.operation.method], name=e.operation.operation_id)
        for e in endpoints
    ]


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
        *problem_types.endpoints(),
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

    return App(
        routes=[*served(endpoints), *docs.assets()],
        middleware=operations.middleware(container),
        lifespan=lifespan,
    )
