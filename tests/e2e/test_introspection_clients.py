"""Introspection (RFC 7662) by a client with its own credentials, through the real app in
memory mode and on a real Redis: HTTP Basic (form-urlencoded, RFC 6749 §2.3.1) and the form
body, at both paths (one handler serves them), the members of every answer, and each way a
client is refused: without tokens:introspect, a wrong secret (an event, counted against the
login limit), disabled, none given, given twice."""

import base64
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from entrypoints.settings import RateLimit, Settings
from tests.redis_server import RedisServer
from tests.support.apps import assert_problem, redis_settings, running_app, settings
from tests.support.clients import bearer, login
from tests.support.oauth import admin_token, assert_oauth_error, client_token, new_client

PATHS = ["/api/auth/introspect", "/oauth/introspect"]
METHODS = ["client_secret_basic", "client_secret_post"]
# RFC 7662 §2.2, and Ballast's own two members.
RFC_7662 = {"active", "scope", "client_id", "username", "token_type", "exp", "iat", "nbf"} | {
    "sub",
    "aud",
    "iss",
    "jti",
}
OWN = {"token_use", "roles"}


@pytest.fixture(params=["memory", "redis"])
def base(request: pytest.FixtureRequest) -> Settings:
    if request.param == "memory":
        return settings()
    server: RedisServer = request.getfixturevalue("empty_redis")
    return redis_settings(server.url)


@pytest.fixture
def app(base: Settings) -> Iterator[TestClient]:
    with running_app(base) as client:
        yield client


def introspect(
    client: TestClient, path: str, creds: dict[str, Any], token: str, method: str
) -> httpx.Response:
    """Asks with the client's credentials, sent the way `method` names."""
    if method == "client_secret_basic":
        auth = (creds["client_id"], creds["client_secret"])
        return client.post(path, data={"token": token}, auth=auth)
    form = {
        "token": token,
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
    }
    return client.post(path, data=form)


def assert_rfc_7662(body: dict[str, Any]) -> None:
    """Only RFC 7662's members (and Ballast's two), each of the type §2.2 gives it."""
    assert body["active"] is True
    assert set(body) <= RFC_7662 | OWN, set(body) - RFC_7662 - OWN
    for name in ("exp", "iat", "nbf"):
        assert isinstance(body.get(name, 0), int)
    for name in ("scope", "client_id", "username", "sub", "aud", "iss", "jti"):
        assert isinstance(body.get(name, ""), str)
    assert body.get("token_type", "Bearer") == "Bearer"  # RFC 6749 §5.1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_a_client_introspects_client_and_user_tokens_with_its_credentials(
    app: TestClient, path: str, method: str
) -> None:
    admin = admin_token(app)
    gateway = new_client(app, admin, ["tokens:introspect"], name="gateway")
    orders = new_client(app, admin, ["users:read", "notifications:send"], audience="orders")
    token = client_token(app, orders, scope="users:read")
    client_answer = introspect(app, path, gateway, token, method)
    user_answer = introspect(app, path, gateway, admin, method)

    assert client_answer.status_code == 200, client_answer.text
    assert client_answer.headers["cache-control"] == "no-store"
    body = client_answer.json()
    assert_rfc_7662(body)
    assert set(body) == {
        "active",
        "scope",
        "client_id",
        "token_type",
        "exp",
        "iat",
        "sub",
        "aud",
        "iss",
        "jti",
        "token_use",
    }
    assert body["client_id"] == body["sub"] == orders["client_id"]
    assert (body["scope"], body["aud"], body["token_type"]) == ("users:read", "orders", "Bearer")
    user = user_answer.json()
    assert_rfc_7662(user)
    assert set(user) == {
        "active",
        "username",
        "token_type",
        "exp",
        "iat",
        "sub",
        "iss",
        "jti",
        "token_use",
        "roles",
    }
    assert (user["username"], user["roles"], user["token_use"]) == (
        "admin",
        ["admin"],
        "access_token",
    )


def test_a_refresh_token_has_no_rfc_6749_token_type(app: TestClient) -> None:
    pair = login(app)
    gateway = new_client(app, pair["access_token"], ["tokens:introspect"], name="gateway")
    body = introspect(app, PATHS[0], gateway, pair["refresh_token"], METHODS[0]).json()

    assert_rfc_7662(body)
    assert "token_type" not in body
    assert body["token_use"] == "refresh_token"


@pytest.mark.parametrize("path", PATHS)
def test_a_token_that_is_not_live_answers_active_false_alone(app: TestClient, path: str) -> None:
    admin = admin_token(app)
    gateway = new_client(app, admin, ["tokens:introspect"], name="gateway")
    orders = new_client(app, admin, ["users:read"], name="orders")
    gone = new_client(app, admin, ["users:read"], name="gone")
    revoked, deleted = client_token(app, orders), client_token(app, gone)
    auth = (orders["client_id"], orders["client_secret"])
    assert app.post("/oauth/revoke", data={"token": revoked}, auth=auth).status_code == 200
    assert app.delete(f"/api/clients/{gone['client_id']}", headers=bearer(admin)).status_code == 204
    answers = [
        introspect(app, path, gateway, token, method)
        for token in (revoked, deleted, "not-a-token", admin[:-4])
        for method in METHODS
    ]

    assert [a.status_code for a in answers] == [200] * 8
    assert [a.json() for a in answers] == [{"active": False}] * 8


@pytest.mark.parametrize("path", PATHS)
def test_a_client_without_tokens_introspect_is_refused_however_it_authenticates(
    app: TestClient, path: str
) -> None:
    admin = admin_token(app)
    orders = new_client(app, admin, ["users:read"], name="orders")
    token = client_token(app, orders)
    answers = [introspect(app, path, orders, token, method) for method in METHODS]
    answers.append(app.post(path, data={"token": token}, headers=bearer(token)))

    for answer in answers:
        body = assert_problem(answer, 403)
        assert body["type"].endswith("/insufficient-scope")
        assert answer.headers["www-authenticate"] == (
            'Bearer error="insufficient_scope", scope="tokens:introspect"'
        )


@pytest.mark.parametrize("path", PATHS)
def test_a_wrong_secret_is_invalid_client_an_event_and_counted_against_the_login_limit(
    base: Settings, path: str
) -> None:
    with running_app(base, login_rate_limit=RateLimit(3, 60)) as app:
        admin = admin_token(app)
        gateway = new_client(app, admin, ["tokens:introspect"], name="gateway")
        wrong = {**gateway, "client_secret": "wrong-" + gateway["client_secret"]}
        basic = introspect(app, path, wrong, admin, "client_secret_basic")
        post = introspect(app, path, wrong, admin, "client_secret_post")
        unknown = introspect(app, path, {**wrong, "client_id": "nobody"}, admin, METHODS[0])
        third = introspect(app, path, wrong, admin, METHODS[0])
        fourth = introspect(app, path, wrong, admin, METHODS[0])
        right_after = introspect(app, path, gateway, admin, METHODS[1])
        events = app.get("/api/auth/events?limit=20", headers=bearer(admin))

    assert_oauth_error(basic, 401, "invalid_client")
    assert basic.headers["www-authenticate"] == 'Basic realm="ballast"'
    assert_oauth_error(post, 401, "invalid_client")
    assert "www-authenticate" not in post.headers
    assert_oauth_error(unknown, 401, "invalid_client")  # another key: not yet limited
    # Three failures of one client id from one address (BALLAST_LOGIN_RATE_LIMIT 3/60 s).
    assert (third.status_code, fourth.status_code, right_after.status_code) == (401, 429, 429)
    assert int(right_after.headers["retry-after"]) >= 1
    failed = [e for e in events.json()["items"] if e["type"] == "client_auth_failed"]
    assert [e["username"] for e in failed].count(gateway["client_id"]) == 4  # each failure
    assert gateway["client_secret"] not in events.text


@pytest.mark.parametrize("path", PATHS)
def test_a_disabled_client_is_refused_like_a_wrong_secret(app: TestClient, path: str) -> None:
    admin = admin_token(app)
    gateway = new_client(app, admin, ["tokens:introspect"], name="gateway")
    changed = app.patch(
        f"/api/clients/{gateway['client_id']}", json={"disabled": True}, headers=bearer(admin)
    )
    answer = introspect(app, path, gateway, admin, METHODS[0])

    assert changed.status_code == 200
    assert_oauth_error(answer, 401, "invalid_client")


def test_no_credentials_at_all_is_each_paths_own_401(app: TestClient) -> None:
    """The API route asks for a bearer token; the OAuth endpoint, as RFC 6749 §5.2 says,
    for client authentication."""
    api = app.post(PATHS[0], data={"token": "x"})
    oauth = app.post(PATHS[1], data={"token": "x"})

    assert_problem(api, 401)
    assert api.headers["www-authenticate"] == "Bearer"
    assert_oauth_error(oauth, 401, "invalid_client")
    assert oauth.headers["www-authenticate"] == 'Basic realm="ballast"'


@pytest.mark.parametrize("path", PATHS)
def test_credentials_given_twice_or_in_the_query_are_invalid_requests(
    app: TestClient, path: str
) -> None:
    gateway = new_client(app, admin_token(app), ["tokens:introspect"], name="gateway")
    auth = (gateway["client_id"], gateway["client_secret"])
    post = {"client_id": gateway["client_id"], "client_secret": gateway["client_secret"]}
    twice = app.post(path, data={"token": "x", **post}, auth=auth)
    query = urllib.parse.urlencode({"client_secret": gateway["client_secret"]})
    in_query = app.post(f"{path}?{query}", data={"token": "x", "client_id": gateway["client_id"]})

    assert_oauth_error(twice, 400, "invalid_request")
    assert_oauth_error(in_query, 400, "invalid_request")


@pytest.mark.parametrize("path", PATHS)
def test_basic_credentials_are_form_decoded_as_rfc_6749_asks(app: TestClient, path: str) -> None:
    """Each part form-urlencoded before Basic joins them: every character escaped here."""
    admin = admin_token(app)
    gateway = new_client(app, admin, ["tokens:introspect"], name="gateway")

    def escaped(text: str) -> str:
        return "".join(f"%{b:02X}" for b in text.encode())

    raw = f"{escaped(gateway['client_id'])}:{escaped(gateway['client_secret'])}".encode()
    answer = app.post(
        path,
        data={"token": admin},
        headers={"Authorization": "Basic " + base64.b64encode(raw).decode()},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == "admin"


def test_a_bearer_token_is_still_judged_as_before(app: TestClient) -> None:
    """A user of role service or admin, or a client's token with tokens:introspect; a plain
    user is 403 (role), a token that is not valid 401."""
    admin = admin_token(app)
    gateway = client_token(app, new_client(app, admin, ["tokens:introspect"], name="gateway"))
    answers = {
        (path, who): app.post(path, data={"token": admin}, headers=bearer(token))
        for path in PATHS
        for who, token in (("admin", admin), ("client", gateway), ("bad", "not-a-token"))
    }

    for path in PATHS:
        assert answers[(path, "admin")].json()["active"] is True
        assert answers[(path, "client")].json()["username"] == "admin"
        assert_problem(answers[(path, "bad")], 401)
        assert answers[(path, "bad")].headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_the_document_gives_both_paths_both_ways_in() -> None:
    with running_app() as app:
        spec = app.get("/openapi.json").json()

    scheme = spec["components"]["securitySchemes"]["clientSecretBasic"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "basic")
    for path in PATHS:
        op = spec["paths"][path]["post"]
        assert op["security"] == [
            {"bearer": []},
            {"oauth2": ["tokens:introspect"]},
            {"clientSecretBasic": []},
        ]
        assert set(op["responses"]["401"]["content"]) == {
            "application/problem+json",
            "application/json",
        }
        assert "403" in op["responses"]
