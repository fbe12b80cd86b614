"""Health, liveness, readiness and the OpenAPI document on the in-memory default."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.support.apps import running_app

AUTH_ROUTES = {
    ("/api/auth/login", "post"),
    ("/api/auth/refresh", "post"),
    ("/api/auth/logout", "post"),
    ("/api/auth/me", "get"),
    ("/api/auth/revoke", "post"),
    ("/api/auth/events", "get"),
    ("/api/users", "post"),
    ("/health", "get"),
    ("/health/live", "get"),
    ("/health/ready", "get"),
}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with running_app() as client:
        yield client


def test_health_passes_with_redis_not_configured(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/health+json")
    body = response.json()
    assert body["status"] == "pass"
    assert body["version"]
    [redis] = body["checks"]["redis"]
    assert redis["status"] == "pass"
    assert redis["componentType"] == "datastore"
    assert redis["mode"] == "not_configured"


def test_liveness_answers_200_pass(client: TestClient) -> None:
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/health+json")
    assert response.json()["status"] == "pass"


def test_readiness_answers_200_without_redis(client: TestClient) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/health+json")
    assert response.json()["status"] == "pass"


def test_health_answers_are_not_cached(client: TestClient) -> None:
    for path in ("/health", "/health/live", "/health/ready"):
        assert client.get(path).headers["cache-control"] == "no-store"


def test_the_openapi_document_lists_every_auth_and_health_route(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert documented >= AUTH_ROUTES


def test_the_openapi_document_describes_auth_errors_as_problems(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    me = spec["paths"]["/api/auth/me"]["get"]
    assert "application/problem+json" in me["responses"]["401"]["content"]
    assert me["security"] == [{"bearer": []}]
    assert spec["paths"]["/api/users"]["post"]["responses"].keys() >= {"201", "403", "409", "422"}


def test_every_documented_auth_route_is_served(client: TestClient) -> None:
    # A route in the document that the app does not serve would be a 404 (or 405).
    for path, method in AUTH_ROUTES:
        response = client.request(method.upper(), path)
        assert response.status_code not in (404, 405), (method, path)
