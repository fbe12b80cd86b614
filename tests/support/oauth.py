"""The real app with OAuth clients: helpers shared by the /oauth and /api/clients tests."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from starlette.testclient import TestClient

from domain.ports import Clock, PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from tests.fakes import FakeClock, fast_hasher
from tests.support.apps import settings
from tests.support.clients import bearer, login

BASE = "http://testserver"
TOKEN_URL = f"{BASE}/oauth/token"


@contextmanager
def oauth_app(clock: FakeClock | None = None, **changes: Any) -> Iterator[TestClient]:
    overrides: dict[type, Any] = {PasswordHasher: fast_hasher()}
    if clock is not None:
        overrides[Clock] = clock
    container = bootstrap(settings(**changes), overrides)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def admin_token(client: TestClient) -> str:
    token: str = login(client)["access_token"]
    return token


def new_client(
    client: TestClient, admin: str, scopes: list[str], name: str = "billing", **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/clients", json={"name": name, "scopes": scopes, **extra}, headers=bearer(admin)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def grant(client: TestClient, creds: dict[str, Any], **form: str) -> httpx.Response:
    """client_secret_basic, as most clients send it."""
    return client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", **form},
        auth=(creds["client_id"], creds["client_secret"]),
    )


def client_token(client: TestClient, creds: dict[str, Any], **form: str) -> str:
    response = grant(client, creds, **form)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def authlib_client(
    client: TestClient, creds: dict[str, Any], method: str, **options: Any
) -> OAuth2Client:
    """Authlib's OAuth 2 client, talking to the app through the test client's transport;
    `options` are Authlib's own (e.g. the README's token_endpoint and grant_type)."""
    return OAuth2Client(
        creds["client_id"],
        creds["client_secret"],
        token_endpoint_auth_method=method,
        transport=client._transport,
        base_url=BASE,
        **options,
    )


def assert_oauth_error(response: Any, status: int, error: str) -> dict[str, Any]:
    """RFC 6749 §5.2: the status, JSON with `error` (and a description), never cached."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert set(body) <= {"error", "error_description"}
    return body
