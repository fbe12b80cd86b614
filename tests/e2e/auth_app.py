"""The real app, built by the real composition root, on the in-memory default.

Only the password hasher is swapped for a cheap one; rate limits are off so that a test may
log in as often as it needs.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from starlette.testclient import TestClient

from domain.ports import PasswordHasher
from entrypoints.bootstrap import bootstrap
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.fakes import fast_hasher

SECRET = "e2e-test-secret-of-at-least-thirty-two-bytes"
ISSUER = "ballast"
ADMIN_PASSWORD = "admin-password"
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


@contextmanager
def running_app(**changes: Any) -> Iterator[TestClient]:
    container = bootstrap(settings(**changes), {PasswordHasher: fast_hasher()})
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def login(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> Any:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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
