"""Production serves OAuth clients only with an https URL issuer, however clients come: the
clients file refuses to start (test_clients_file.py), `POST /api/clients` answers 409, and
`/oauth/token` issues nothing to a client the registry holds anyway (shared through Redis
with an instance configured otherwise, or seeded before the issuer changed)."""

from typing import Any

import pytest

from adapters.client_secrets import HmacClientSecrets
from domain.clients import Client
from entrypoints.settings import Environment, Settings
from tests.redis_server import RedisServer
from tests.support.apps import assert_problem, redis_settings, running_app, settings
from tests.support.clients import bearer
from tests.support.metrics import sampled
from tests.support.oauth import admin_token, grant, new_client

PRODUCTION = Environment.PRODUCTION
HTTPS = "https://auth.example.com"
SECRET = "a-client-secret-of-forty-three-characters-xx"


def assert_refused(response: Any) -> None:
    body = assert_problem(response, 409)
    assert body["type"] == "/problems/https-issuer-required"
    assert "BALLAST_JWT_ISSUER" in body["detail"]
    assert "access_token" not in body and "client_secret" not in body


@pytest.mark.parametrize("issuer", ["ballast", "http://auth.example.com", "https://"])
def test_production_creates_no_client_without_an_https_issuer(issuer: str) -> None:
    with running_app(settings(env=PRODUCTION, jwt_issuer=issuer)) as app:
        admin = admin_token(app)
        created = app.post(
            "/api/clients", json={"name": "billing", "scopes": []}, headers=bearer(admin)
        )
        listed = app.get("/api/clients", headers=bearer(admin)).json()

    assert_refused(created)
    assert listed["items"] == []


@pytest.mark.parametrize(
    ("env", "issuer"), [(PRODUCTION, HTTPS), (Environment.DEVELOPMENT, "ballast")]
)
def test_an_https_issuer_or_another_environment_serves_clients(
    env: Environment, issuer: str
) -> None:
    with running_app(settings(env=env, jwt_issuer=issuer)) as app:
        creds = new_client(app, admin_token(app), ["users:read"])
        granted = grant(app, creds)

    assert granted.status_code == 200, granted.text


def test_a_client_the_registry_holds_gets_no_token_in_memory_mode() -> None:
    held = Client("held", "held", HmacClientSecrets().hash(SECRET), frozenset({"users:read"}))
    counted = sampled("ballast_client_credentials_grants_total", outcome="refused")
    with running_app(settings(env=PRODUCTION, clients=(held,))) as app:
        refused = grant(app, {"client_id": "held", "client_secret": SECRET})
        wrong = grant(app, {"client_id": "held", "client_secret": "wrong"})

    assert_refused(refused)
    assert wrong.status_code == 401  # authentication comes first: no word to a stranger
    # Both are refused grants, the 409 (a problem, not an RFC 6749 error) included.
    assert sampled("ballast_client_credentials_grants_total", outcome="refused") == counted + 2


@pytest.mark.redis
def test_a_client_shared_through_redis_gets_no_token_from_an_instance_without_one(
    own_redis: RedisServer,
) -> None:
    https: Settings = redis_settings(own_redis.url, env=PRODUCTION, jwt_issuer=HTTPS)
    with running_app(https) as app:
        creds = new_client(app, admin_token(app), ["users:read"])
        before = grant(app, creds)
    with running_app(redis_settings(own_redis.url, env=PRODUCTION)) as app:
        known = app.get(f"/api/clients/{creds['client_id']}", headers=bearer(admin_token(app)))
        after = grant(app, creds)
        introspected = app.post(
            "/api/auth/introspect",
            data={"token": before.json()["access_token"]},
            headers=bearer(admin_token(app)),
        )

    assert before.status_code == 200
    assert known.status_code == 200  # the registry holds it ...
    assert_refused(after)  # ... and no token is issued to it
    assert introspected.json() == {"active": False}  # nor one of the old issuer honoured
