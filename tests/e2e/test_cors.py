"""CORS (BALLAST_CORS_ORIGINS): preflights answered for the allowed origins and every method
the API serves, refused for any other origin, and no CORS header at all when unset."""

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.http.middleware import CORS_EXPOSED_HEADERS, CORS_METHODS
from entrypoints.settings import Settings
from tests.fakes import fast_hasher
from tests.support.servers import serving

APP = "https://app.example.com"
OTHER = "https://evil.example.net"


def preflight(origin: str, method: str, headers: str = "Authorization") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings(admin_password="admin-password", cors_origins=(APP,))
    with TestClient(create_app(bootstrap(settings, {PasswordHasher: fast_hasher()}))) as c:
        yield c


def operations(client: TestClient) -> list[tuple[str, str]]:
    paths: dict[str, Any] = client.get("/openapi.json").json()["paths"]
    return [(path, method.upper()) for path, item in paths.items() for method in item]


def test_every_method_the_api_serves_is_allowed_in_a_preflight(client: TestClient) -> None:
    served = operations(client)
    assert {method for _, method in served} <= set(CORS_METHODS)
    for path, method in served:
        concrete = path.replace("{", "").replace("}", "")
        answer = client.options(
            concrete, headers=preflight(APP, method, "Authorization, Content-Type, Idempotency-Key")
        )
        assert answer.status_code == 200, (path, method)
        assert answer.headers["access-control-allow-origin"] == APP
        assert method in answer.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in answer.headers


def test_a_preflight_from_another_origin_is_refused(client: TestClient) -> None:
    answer = client.options("/api/auth/me", headers=preflight(OTHER, "GET"))
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def test_an_answer_to_an_allowed_origin_exposes_the_rate_limit_and_auth_headers(
    client: TestClient,
) -> None:
    answer = client.get("/api/auth/me", headers={"Origin": APP})
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == APP
    exposed = {
        h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")
    }
    assert {h.lower() for h in CORS_EXPOSED_HEADERS} <= exposed
    assert {"ratelimit-limit", "www-authenticate"} <= exposed
    assert (
        "access-control-allow-origin"
        not in client.get("/api/auth/me", headers={"Origin": OTHER}).headers
    )


def test_without_origins_there_is_no_cors_header_at_all() -> None:
    container = bootstrap(
        Settings(admin_password="admin-password"), {PasswordHasher: fast_hasher()}
    )
    with TestClient(create_app(container)) as plain:
        answers = [
            plain.options("/api/auth/me", headers=preflight(APP, "GET")),
            plain.get("/health/live", headers={"Origin": APP}),
        ]
    for answer in answers:
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]


def test_ballast_serve_answers_an_allowed_preflight_and_refuses_another(tmp_path: Path) -> None:
    with serving(tmp_path, BALLAST_CORS_ORIGINS=f"{APP} http://localhost:5173") as base:
        allowed = httpx.options(f"{base}/api/notifications", headers=preflight(APP, "POST"))
        refused = httpx.options(f"{base}/api/notifications", headers=preflight(OTHER, "POST"))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_ballast_serve_refuses_an_origin_with_a_path_in_one_line() -> None:
    from tests.support.servers import BALLAST, clean_env

    done = subprocess.run(
        [BALLAST, "serve"],
        env=clean_env(BALLAST_CORS_ORIGINS=f"{APP}/"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("ballast: configuration error: BALLAST_CORS_ORIGINS:")
