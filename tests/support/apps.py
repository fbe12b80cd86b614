"""The real app, built by the real composition root, on the in-memory default.

Only the password hasher is swapped for a cheap one; rate limits are off so that a test may
log in as often as it needs.
"""

import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import OnRedisDown, Policies, RedisSettings, Settings, Storage
from tests.fakes import fast_hasher
from tests.support.clients import ADMIN_PASSWORD, bearer, login

__all__ = ["ADMIN_PASSWORD", "bearer", "login"]

SECRET = "e2e-test-secret-of-at-least-thirty-two-bytes"
ISSUER = "ballast"
ACCESS_TTL = 900
REFRESH_TTL = 3600


# A class name such as DecodeError or TimeoutException: details speak of the request instead.
LIBRARY_NAMES = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b")


def settings(**changes: Any) -> Settings:
    base = Settings(
        env="test",
        jwt_secret=SECRET,
        jwt_issuer=ISSUER,
        access_ttl=ACCESS_TTL,
        refresh_ttl=REFRESH_TTL,
        admin_password=ADMIN_PASSWORD,
        rate_limit=None,
        login_rate_limit=None,
    )
    return attrs.evolve(base, **changes)


def redis_settings(url: str, policy: OnRedisDown = OnRedisDown.FALLBACK, **extra: Any) -> Settings:
    """Settings on a Redis that a test kills, hangs and restarts: short timeouts, one
    policy for every capability."""
    return settings(
        redis=RedisSettings(url, connect_timeout=0.25, command_timeout=0.25, failures_to_open=3),
        storage=Storage.REDIS,
        policies=Policies(*(policy for _ in attrs.fields(Policies))),
        **extra,
    )


@contextmanager
def running_app(base: Settings | None = None, **changes: Any) -> Iterator[TestClient]:
    """The app on `base` (default: `settings()`) with `changes`, password hashing cheap."""
    chosen = attrs.evolve(base or settings(), **changes)
    container = bootstrap(chosen, {PasswordHasher: fast_hasher()})
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def redis_check(client: TestClient) -> dict[str, Any]:
    """The Redis entry of /health's checks."""
    check: dict[str, Any] = client.get("/health").json()["checks"]["redis"][0]
    return check


def redis_status(client: TestClient) -> str:
    status: str = redis_check(client)["status"]
    return status


def create_user(
    client: TestClient, admin_token: str, username: str, password: str, roles: list[str]
) -> None:
    response = client.post(
        "/api/users",
        json={"username": username, "password": password, "roles": roles},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201, response.text


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """A problem+json answer with the given status and every RFC 9457 field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.text
    assert not LIBRARY_NAMES.search(body["detail"]), body["detail"]
    return body


def app_with(routes: dict[str, Callable[[Request], Awaitable[Response]]]) -> Starlette:
    """The real app with a user's own routes added, as a Starlette user adds them."""
    app = create_app(bootstrap(settings(), {PasswordHasher: fast_hasher()}))
    for path, endpoint in routes.items():
        app.add_route(path, endpoint)
    return app
