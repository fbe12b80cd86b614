"""The app factory: `create_app()` builds the Starlette app from a container, with no I/O
at import. Serve it with `ballast serve` (or `uvicorn entrypoints.http.app:create_app --factory
--no-proxy-headers`: only BALLAST_TRUSTED_PROXIES decides whose X-Forwarded-For is believed).
"""

import contextlib
import logging
from collections.abc import AsyncIterator

import punq
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.errors import BallastError
from entrypoints.bootstrap import bootstrap
from entrypoints.http import (
    auth_openapi,
    auth_routes,
    currency_openapi,
    currency_routes,
    health_routes,
    notification_openapi,
    notification_routes,
    operations,
    user_routes,
)
from entrypoints.http import operations_openapi as ops_openapi
from entrypoints.http.body_limit import BodyLimitMiddleware
from entrypoints.http.openapi import document
from entrypoints.http.problems import handle_domain_error, handle_http_exception, handle_unexpected
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import Settings, print_admin_password

log = logging.getLogger("ballast")


def create_app(container: punq.Container | None = None) -> Starlette:
    if container is None:
        container = bootstrap(Settings.from_env())
    settings: Settings = container.resolve(Settings)
    lifecycle: Lifecycle = container.resolve(Lifecycle)
    paths = {
        **auth_openapi.PATHS,
        **currency_openapi.PATHS,
        **notification_openapi.PATHS,
        **ops_openapi.PATHS,
    }
    spec = document(ops_openapi.with_operations(paths))

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

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

    return Starlette(
        routes=[
            *auth_routes.routes(container),
            *user_routes.routes(container),
            *currency_routes.routes(container),
            *notification_routes.routes(container),
            *health_routes.routes(container),
            Route("/openapi.json", openapi, methods=["GET"]),
            *operations.routes(container),
        ],
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
