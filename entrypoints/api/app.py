"""The app factory: `create_app()` builds Ballast's app from a container, with no I/O at
import. Serve it with `ballast serve` (or `uvicorn entrypoints.api.app:create_app --factory
--no-proxy-headers`: only BALLAST_TRUSTED_PROXIES decides whose X-Forwarded-For is believed).
"""

import contextlib
import logging
from collections.abc import AsyncIterator

import punq
from starlette.applications import Starlette

from domain.clients import ClientPolicy
from entrypoints.api import (
    auth_routes,
    client_routes,
    currency_routes,
    health_routes,
    introspection_routes,
    notification_routes,
    oauth_routes,
    operations,
    user_routes,
)
from entrypoints.api.oauth_client_auth import client_authentication
from entrypoints.bootstrap import bootstrap
from entrypoints.http import docs, problem_types
from entrypoints.http.app import App, served
from entrypoints.http.middleware import middleware
from entrypoints.http.openapi import with_document
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import Settings, print_admin_password

log = logging.getLogger("ballast")


def create_app(container: punq.Container | None = None) -> Starlette:
    if container is None:
        container = bootstrap(Settings.from_env())
    settings: Settings = container.resolve(Settings)
    lifecycle: Lifecycle = container.resolve(Lifecycle)
    clients = client_authentication(container)
    endpoints = with_document(
        [
            *auth_routes.routes(container),
            *introspection_routes.routes(container, clients),
            *user_routes.routes(container),
            *client_routes.routes(container),
            *oauth_routes.routes(container, clients),
            *currency_routes.routes(container),
            *notification_routes.routes(container),
            *health_routes.routes(container),
            *operations.routes(container),
            *problem_types.endpoints(),
        ],
        container.resolve(ClientPolicy).scopes,
    )

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
        middleware=middleware(container),
        lifespan=lifespan,
    )
