"""The app class and how endpoints become routes (one per operation, named by its
operationId). The app of Ballast's own API is made by `entrypoints.api.app.create_app`."""

import logging
from collections.abc import Sequence
from typing import Any

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
from entrypoints.http.contract import Endpoint
from entrypoints.http.problems import answer, handle_unexpected
from entrypoints.http.routing import IndexedRouter

log = logging.getLogger("ballast")


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
