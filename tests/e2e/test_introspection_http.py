"""POST /api/auth/introspect (RFC 7662) over HTTP through the real app, with bearer tokens:
who may ask, every kind of token that is not live, and the two body encodings (clients with
their own credentials: test_introspection_clients.py)."""

import time
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from tests.support.apps import (
    SECRET,
    assert_problem,
    bearer,
    create_user,
    login,
    running_app,
)

SERVICE_PASSWORD = "service-password"
USER_PASSWORD = "alice-password"


def setup(client: TestClient) -> tuple[str, dict[str, Any]]:
    """A service's access token, and a plain user's token pair."""
    admin = login(client)["access_token"]
    create_user(client, admin, "billing", SERVICE_PASSWORD, ["service"])
    create_user(client, admin, "alice", USER_PASSWORD, [])
    return login(client, "billing", SERVICE_PASSWORD)["access_token"], login(
        client, "alice", USER_PASSWORD
    )


def introspect(client: TestClient, caller: str, token: str, form: bool = True) -> Any:
    if form:
        return client.post("/api/auth/introspect", data={"token": token}, headers=bearer(caller))
    return client.post("/api/auth/introspect", json={"token": token}, headers=bearer(caller))


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_a_live_access_token_is_active_with_its_claims(form: bool) -> None:
    with running_app() as client:
        service, alice = setup(client)
        response = introspect(client, service, alice["access_token"], form)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    claims = jwt.decode(alice["access_token"], SECRET, algorithms=["HS256"], issuer="ballast")
    assert body == {
        "active": True,
        "username": "alice",
        "sub": "alice",
        "token_type": "Bearer",
        "token_use": "access_token",
        "exp": claims["exp"],
        "iat": int(claims["iat"]),
        "jti": claims["jti"],
        "iss": "ballast",
        "roles": [],
    }


def test_a_refresh_token_is_active_as_a_refresh_token_and_admins_may_ask_too() -> None:
    with running_app(jwt_audience="billing") as client:
        _, alice = setup(client)
        admin = login(client)["access_token"]
        body = introspect(client, admin, alice["refresh_token"]).json()

    assert body["active"] is True
    assert body["token_use"] == "refresh_token"
    assert "token_type" not in body  # RFC 6749 §5.1 types are access tokens'
    assert body["aud"] == "billing"


def forged(token: str, **changes: Any) -> str:
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="ballast")
    return jwt.encode({**claims, **changes}, "another-secret-of-at-least-32-bytes!", "HS256")


def expired(token: str) -> str:
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="ballast")
    now = int(time.time())
    return jwt.encode({**claims, "iat": now - 100, "exp": now - 1}, SECRET, "HS256")


NOT_LIVE = {
    "expired": expired,
    "forged": forged,
    "unknown_kid": lambda t: jwt.encode(
        jwt.decode(t, SECRET, algorithms=["HS256"], issuer="ballast"),
        SECRET,
        "HS256",
        headers={"kid": "not-a-key-of-this-service"},
    ),
    "malformed": lambda t: t[:-5],
    "garbage": lambda t: "not a token at all",
    "other_issuer": lambda t: jwt.encode(
        {**jwt.decode(t, SECRET, algorithms=["HS256"], issuer="ballast"), "iss": "other"},
        SECRET,
        "HS256",
    ),
}


@pytest.mark.parametrize("kind", sorted(NOT_LIVE))
def test_a_token_that_is_not_live_is_inactive_and_nothing_more(kind: str) -> None:
    with running_app() as client:
        service, alice = setup(client)
        response = introspect(client, service, NOT_LIVE[kind](alice["access_token"]))

    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_revoked_tokens_are_inactive() -> None:
    with running_app() as client:
        service, alice = setup(client)
        logout = client.post("/api/auth/logout", headers=bearer(alice["access_token"]))
        access = introspect(client, service, alice["access_token"]).json()
        refresh = introspect(client, service, alice["refresh_token"]).json()

    assert logout.status_code == 204
    assert access == refresh == {"active": False}


def test_only_services_and_admins_may_introspect() -> None:
    with running_app() as client:
        _, alice = setup(client)
        anonymous = client.post("/api/auth/introspect", data={"token": alice["access_token"]})
        plain = introspect(client, alice["access_token"], alice["access_token"])

    assert_problem(anonymous, 401)
    assert_problem(plain, 403)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", "application/x-www-form-urlencoded", 422),
        (b"other=1", "application/x-www-form-urlencoded", 422),
        (b"token=a&token=b", "application/x-www-form-urlencoded", 400),
        (b"token=%ff", "application/x-www-form-urlencoded", 400),
        (b"\xff\xfe", "application/x-www-form-urlencoded", 400),
        (b"{}", "application/json", 422),
        (b'{"token": 5}', "application/json", 422),
        (b"[", "application/json", 400),
        (b"token=x", "text/plain", 415),
        (b"token=x", "", 415),
    ],
)
def test_a_bad_body_is_a_problem_naming_the_request(
    body: bytes, content_type: str, status: int
) -> None:
    with running_app() as client:
        service, _ = setup(client)
        response = client.post(
            "/api/auth/introspect",
            content=body,
            headers={**bearer(service), "Content-Type": content_type},
        )

    assert_problem(response, status)
