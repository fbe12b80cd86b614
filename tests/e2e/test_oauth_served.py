"""Against a real `ballast serve` (EdDSA, memory mode and on a real Redis): a standard OAuth
client (Authlib) reads the RFC 8414 metadata, fetches a token with each authentication
method and calls an API with it; another service verifies that token with nothing but the
JWKS URL the metadata names, and a gateway introspects it with its own credentials."""

import subprocess
from pathlib import Path

import httpx
import jwt
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from tests.redis_server import RedisServer
from tests.support.clients import bearer, login
from tests.support.servers import BALLAST, clean_env, serving

ADMIN_PASSWORD = "oauth-served-admin-password"
ISSUER = "https://auth.example.com"


def keygen(tmp_path: Path) -> str:
    path = tmp_path / "key.pem"
    subprocess.run(
        [BALLAST, "keygen", "--algorithm", "EdDSA", "--out", str(path)],
        env=clean_env(),
        check=True,
    )
    return str(path)


def exercise(base: str) -> None:
    admin = login(base, password=ADMIN_PASSWORD)
    created = httpx.post(
        f"{base}/api/clients",
        json={"name": "orders", "scopes": ["users:read"], "audience": "orders"},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    creds = created.json()
    metadata = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
    for method in ("client_secret_basic", "client_secret_post"):
        with OAuth2Client(
            creds["client_id"], creds["client_secret"], token_endpoint_auth_method=method
        ) as oauth:
            token = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        # What another service does: the JWKS URL, the issuer and its own audience, no secret.
        keys = jwt.PyJWKClient(metadata["jwks_uri"])
        access = token["access_token"]
        claims = jwt.decode(
            access,
            keys.get_signing_key_from_jwt(access).key,
            algorithms=["EdDSA"],
            issuer=metadata["issuer"],
            audience="orders",
        )
        assert jwt.get_unverified_header(access)["typ"] == "at+jwt"
        assert claims["client_id"] == creds["client_id"] and claims["scope"] == "users:read"
    assert metadata["issuer"] == ISSUER
    introspected(base, admin, metadata["introspection_endpoint"], access, creds["client_id"])


def introspected(base: str, admin: str, endpoint: str, token: str, client_id: str) -> None:
    """A gateway holding tokens:introspect asks about the token with its own credentials, at
    both paths and both ways: each answers the client's id and scope."""
    created = httpx.post(
        f"{base}/api/clients",
        json={"name": "gateway", "scopes": ["tokens:introspect"]},
        headers=bearer(admin),
    )
    gateway = created.json()
    secret = gateway["client_secret"]
    answers = [
        httpx.post(url, data={"token": token}, auth=(gateway["client_id"], secret))
        for url in (endpoint, f"{base}/api/auth/introspect")
    ] + [
        httpx.post(
            url, data={"token": token, "client_id": gateway["client_id"], "client_secret": secret}
        )
        for url in (endpoint, f"{base}/api/auth/introspect")
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["active"], body["client_id"], body["scope"]) == (True, client_id, "users:read")


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "BALLAST_ENV": "development",
        "BALLAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BALLAST_JWT_ALGORITHM": "EdDSA",
        "BALLAST_JWT_PRIVATE_KEY_FILE": keygen(tmp_path),
        "BALLAST_JWT_ISSUER": ISSUER,
        "BALLAST_RATE_LIMIT": "off",
        **extra,
    }


@pytest.mark.slow
def test_a_standard_client_and_a_jwks_verifier_in_memory_mode(tmp_path: Path) -> None:
    with serving(tmp_path, **env(tmp_path)) as base:
        exercise(base)


@pytest.mark.slow
def test_a_standard_client_and_a_jwks_verifier_on_redis_with_two_workers(
    tmp_path: Path, own_redis: RedisServer
) -> None:
    with serving(tmp_path, "--workers", "2", **env(tmp_path, REDIS_URL=own_redis.url)) as base:
        exercise(base)
