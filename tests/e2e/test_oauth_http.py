"""POST /oauth/token (RFC 6749 §4.4) and the RFC 8414 metadata, through the real app: a
standard client (Authlib) with both authentication methods, every §5.2 error, RFC 9068
tokens, revocation (RFC 7009) and introspection (RFC 7662) with client authentication."""

import base64
import urllib.parse
from collections.abc import Iterator

import hypothesis
import jwt
import pytest
from hypothesis import strategies as st
from starlette.testclient import TestClient

from entrypoints.settings import RateLimit
from tests.support.apps import ISSUER, SECRET
from tests.support.clients import bearer
from tests.support.oauth import (
    TOKEN_URL,
    admin_token,
    assert_oauth_error,
    authlib_client,
    client_token,
    grant,
    new_client,
    oauth_app,
)

SCOPES = ["notifications:send", "users:read"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_standard_client_fetches_a_token_and_calls_an_api_with_it(method: str) -> None:
    with oauth_app() as client:
        creds = new_client(client, admin_token(client), SCOPES)
        with authlib_client(client, creds, method) as oauth:
            token = oauth.fetch_token(TOKEN_URL, grant_type="client_credentials")
            users = oauth.get("/api/users")

    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == "notifications:send users:read"
    assert "refresh_token" not in token
    assert users.status_code == 200


def test_the_readme_client_fetches_a_new_token_once_its_own_has_expired() -> None:
    """The README's Authlib example: configured with the token endpoint and the grant, the
    client gets a token again by itself when the one it holds expires."""
    with oauth_app() as client:
        creds = new_client(client, admin_token(client), SCOPES)
        options = {"token_endpoint": TOKEN_URL, "grant_type": "client_credentials"}
        with authlib_client(client, creds, "client_secret_post", **options) as oauth:
            first = oauth.fetch_token()["access_token"]
            oauth.token["expires_at"] = 0  # long expired
            users = oauth.get("/api/users")
            second = oauth.token["access_token"]

    assert users.status_code == 200
    assert second != first


def test_the_token_is_an_rfc_9068_access_token() -> None:
    with oauth_app(jwt_audience="ballast-api") as client:
        creds = new_client(client, admin_token(client), SCOPES)
        response = grant(client, creds, scope="users:read")

    assert response.headers["cache-control"] == "no-store"
    token = response.json()["access_token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer=ISSUER, audience="ballast-api")
    assert header["typ"] == "at+jwt"
    assert claims["sub"] == claims["client_id"] == creds["client_id"]
    assert claims["scope"] == "users:read"
    assert claims["exp"] - claims["iat"] == pytest.approx(3600, abs=1)
    assert {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"} <= set(claims)
    assert response.json()["scope"] == "users:read"


def test_a_client_audience_is_the_tokens_and_ballast_refuses_it_for_itself() -> None:
    with oauth_app() as client:
        creds = new_client(client, admin_token(client), SCOPES, audience="orders")
        token = client_token(client, creds)
        answer = client.get("/api/users", headers=bearer(token))

    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="orders")
    assert claims["aud"] == "orders"
    assert answer.status_code == 401


def test_basic_credentials_are_form_decoded_as_rfc_6749_asks() -> None:
    with oauth_app() as client:
        creds = new_client(client, admin_token(client), SCOPES)
        # Every character of an id and secret is URL-safe: encoded or not, they read the same.
        raw = f"{creds['client_id']}:{creds['client_secret']}".encode()
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(raw).decode()},
        )

    assert response.status_code == 200, response.text
    assert len(base64.urlsafe_b64decode(creds["client_secret"] + "==")) >= 32


def test_every_rfc_6749_error_of_the_token_endpoint() -> None:
    with oauth_app() as client:
        admin = admin_token(client)
        creds = new_client(client, admin, SCOPES)
        disabled = new_client(client, admin, SCOPES, name="old")
        patched = client.patch(
            f"/api/clients/{disabled['client_id']}", json={"disabled": True}, headers=bearer(admin)
        )
        assert patched.status_code == 200
        auth = (creds["client_id"], creds["client_secret"])
        post = {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}
        answers = {
            "no grant_type": client.post("/oauth/token", data={}, auth=auth),
            "repeated": client.post(
                "/oauth/token",
                content="grant_type=client_credentials&grant_type=client_credentials",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                auth=auth,
            ),
            "json": client.post("/oauth/token", json={"grant_type": "client_credentials"}),
            "secret in query": client.post(
                f"/oauth/token?client_secret={creds['client_secret']}",
                data={"grant_type": "client_credentials", "client_id": creds["client_id"]},
            ),
            "both methods": client.post(
                "/oauth/token", data={"grant_type": "client_credentials", **post}, auth=auth
            ),
            "password grant": client.post(
                "/oauth/token", data={"grant_type": "password"}, auth=auth
            ),
            "scope not granted": grant(client, creds, scope="events:read"),
            "unknown scope": grant(client, creds, scope="orders:write"),
            "disabled": grant(client, disabled),
            "wrong secret basic": client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(creds["client_id"], "wrong"),
            ),
            "unknown client post": client.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "nobody",
                    "client_secret": "x",
                },
            ),
            "no credentials": client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}
            ),
        }

    for name in ("no grant_type", "repeated", "json", "secret in query", "both methods"):
        assert_oauth_error(answers[name], 400, "invalid_request")
    assert_oauth_error(answers["password grant"], 400, "unsupported_grant_type")
    assert_oauth_error(answers["scope not granted"], 400, "invalid_scope")
    assert_oauth_error(answers["unknown scope"], 400, "invalid_scope")
    assert_oauth_error(answers["disabled"], 400, "unauthorized_client")
    assert_oauth_error(answers["wrong secret basic"], 401, "invalid_client")
    assert answers["wrong secret basic"].headers["www-authenticate"].startswith("Basic realm=")
    assert_oauth_error(answers["unknown client post"], 401, "invalid_client")
    assert "www-authenticate" not in answers["unknown client post"].headers
    assert_oauth_error(answers["no credentials"], 401, "invalid_client")


FIELDS = st.sampled_from(
    ["grant_type", "scope", "client_id", "client_secret", "token", "x", "", "grant_type[]"]
)
VALUES = st.one_of(
    st.sampled_from(["client_credentials", "password", "", "users:read", "a b", "%ff"]),
    st.text(max_size=40),
)


@pytest.fixture(scope="module")
def shared_app() -> Iterator[TestClient]:
    with oauth_app() as client:
        yield client


@hypothesis.settings(max_examples=80, deadline=None)
@hypothesis.given(
    form=st.lists(st.tuples(FIELDS, VALUES), max_size=6),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]
    ),
    basic=st.sampled_from(
        [None, "Basic !!!", "Basic " + base64.b64encode(b"a:b").decode(), "Bearer x"]
    ),
    path=st.sampled_from(["/oauth/token", "/oauth/revoke", "/oauth/introspect"]),
)
def test_any_request_to_an_oauth_endpoint_is_answered_the_oauth_way(
    shared_app: TestClient,
    form: list[tuple[str, str]],
    content_type: str,
    basic: str | None,
    path: str,
) -> None:
    """Whatever the body, its type and the credentials: never a 5xx, and every refusal is
    an RFC 6749 §5.2 error (a bearer token refused on introspection is a 401 problem)."""
    headers = {"Content-Type": content_type} if content_type else {}
    if basic:
        headers["Authorization"] = basic
    body = urllib.parse.urlencode(form).encode()
    response = shared_app.post(path, content=body, headers=headers)

    assert response.status_code < 500
    if response.status_code in (400, 401) and not (basic or "").startswith("Bearer "):
        assert response.json()["error"] in {
            "invalid_request",
            "invalid_client",
            "unsupported_grant_type",
            "invalid_scope",
            "unauthorized_client",
            "unsupported_token_type",
        }


def test_failed_client_authentications_count_against_the_login_limit() -> None:
    with oauth_app(login_rate_limit=RateLimit(3, 60)) as client:
        creds = new_client(client, admin_token(client), SCOPES)
        other = new_client(client, admin_token(client), SCOPES, name="other")
        wrong = {**creds, "client_secret": "wrong"}
        failures = [grant(client, wrong).status_code for _ in range(4)]
        right_after = grant(client, creds)
        other_client = grant(client, other)

    assert failures == [401, 401, 401, 429]
    assert right_after.status_code == 429
    assert int(right_after.headers["retry-after"]) >= 1
    assert other_client.status_code == 200


def test_the_metadata_names_every_endpoint_and_scope_at_the_public_url() -> None:
    with oauth_app(oauth_scopes=("orders:write",)) as client:
        default = client.get("/.well-known/oauth-authorization-server")
    with oauth_app(
        public_url="https://auth.example.com", jwt_issuer="https://auth.example.com"
    ) as client:
        public = client.get("/.well-known/oauth-authorization-server")
        etag = public.headers["etag"]
        again = client.get(
            "/.well-known/oauth-authorization-server", headers={"If-None-Match": etag}
        )

    meta = default.json()
    assert meta["token_endpoint"] == "http://testserver/oauth/token"
    assert meta["jwks_uri"] == "http://testserver/.well-known/jwks.json"
    assert "orders:write" in meta["scopes_supported"]
    assert "notifications:send" in meta["scopes_supported"]
    assert meta["grant_types_supported"] == ["client_credentials"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert public.json()["issuer"] == "https://auth.example.com"
    assert public.json()["revocation_endpoint"] == "https://auth.example.com/oauth/revoke"
    assert public.json()["introspection_endpoint"] == "https://auth.example.com/oauth/introspect"
    assert public.headers["cache-control"].startswith("public, max-age=")
    assert again.status_code == 304


def test_a_client_revokes_its_own_token_and_no_one_elses() -> None:
    with oauth_app() as client:
        admin = admin_token(client)
        creds = new_client(client, admin, SCOPES)
        other = new_client(client, admin, SCOPES, name="other")
        token, others = client_token(client, creds), client_token(client, other)
        auth = (creds["client_id"], creds["client_secret"])
        not_mine = client.post("/oauth/revoke", data={"token": others}, auth=auth)
        user_token = client.post("/oauth/revoke", data={"token": admin}, auth=auth)
        garbage = client.post("/oauth/revoke", data={"token": "not-a-token"}, auth=auth)
        revoked = client.post("/oauth/revoke", data={"token": token}, auth=auth)
        twice = client.post("/oauth/revoke", data={"token": token}, auth=auth)
        after = client.get("/api/users", headers=bearer(token))
        others_after = client.get("/api/users", headers=bearer(others))

    assert (revoked.status_code, garbage.status_code, twice.status_code) == (200, 200, 200)
    assert_oauth_error(not_mine, 400, "unauthorized_client")
    assert_oauth_error(user_token, 400, "unsupported_token_type")
    assert after.status_code == 401
    assert others_after.status_code == 200


def test_introspection_with_client_authentication_answers_client_tokens() -> None:
    with oauth_app() as client:
        admin = admin_token(client)
        introspector = new_client(client, admin, ["tokens:introspect"], name="gateway")
        plain = new_client(client, admin, SCOPES)
        token = client_token(client, plain, scope="users:read")
        auth = (introspector["client_id"], introspector["client_secret"])
        live = client.post("/oauth/introspect", data={"token": token}, auth=auth)
        dead = client.post("/oauth/introspect", data={"token": "garbage"}, auth=auth)
        refused = client.post(
            "/oauth/introspect",
            data={"token": token},
            auth=(plain["client_id"], plain["client_secret"]),
        )
        by_bearer = client.post(
            "/api/auth/introspect",
            data={"token": token},
            headers=bearer(client_token(client, introspector)),
        )

    body = live.json()
    assert body["active"] is True
    assert body["client_id"] == body["sub"] == plain["client_id"]
    assert body["scope"] == "users:read"
    assert body["token_type"] == "Bearer"
    assert dead.json() == {"active": False}
    assert refused.status_code == 403  # authenticated, without tokens:introspect
    assert refused.headers["www-authenticate"].endswith('scope="tokens:introspect"')
    assert by_bearer.json()["client_id"] == plain["client_id"]
