"""Other services verifying Ballast's tokens: a real `ballast serve`, its JWKS URL, and PyJWT's
PyJWKClient knowing nothing else; key rotation across a restart; audience; HTTP caching."""

import subprocess
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.support.apps import SECRET, bearer, login, running_app
from tests.support.servers import BALLAST, clean_env, serving

ADMIN_PASSWORD = "jwks-admin-password"


def keygen(tmp_path: Path, name: str, algorithm: str) -> str:
    """A key file made the way docs/SECURITY.md says: `ballast keygen`, mode 600."""
    pem = subprocess.run(
        [BALLAST, "keygen", "--algorithm", algorithm],
        env=clean_env(),
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    path = tmp_path / name
    path.write_text(pem)
    path.chmod(0o600)
    return str(path)


def env(algorithm: str, key: str, **extra: str) -> dict[str, str]:
    return {
        "BALLAST_ENV": "production",
        "BALLAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BALLAST_JWT_ALGORITHM": algorithm,
        "BALLAST_JWT_PRIVATE_KEY_FILE": key,
        **extra,
    }


def verify_elsewhere(base: str, token: str, algorithm: str, **options: Any) -> dict[str, Any]:
    """What another service does: it knows the JWKS URL, the issuer and its own audience."""
    client = jwt.PyJWKClient(f"{base}/.well-known/jwks.json")
    key = client.get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=[algorithm], issuer="ballast", **options
    )
    return claims


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
def test_a_service_knowing_only_the_jwks_url_verifies_ballast_tokens(
    tmp_path: Path, algorithm: str
) -> None:
    key = keygen(tmp_path, "key.pem", algorithm)
    with serving(tmp_path, **env(algorithm, key, BALLAST_JWT_AUDIENCE="billing")) as base:
        token = login(base, password=ADMIN_PASSWORD)["access_token"]
        claims = verify_elsewhere(base, token, algorithm, audience="billing")
        jwks = httpx.get(f"{base}/.well-known/jwks.json").json()
        with pytest.raises(jwt.InvalidAudienceError):
            verify_elsewhere(base, token, algorithm, audience="shipping")

    assert claims["sub"] == "admin"
    assert claims["aud"] == "billing"
    (jwk,) = jwks["keys"]
    assert jwk["kid"] == jwt.get_unverified_header(token)["kid"]
    assert (jwk["alg"], jwk["use"]) == (algorithm, "sig")
    assert "d" not in jwk


@pytest.mark.slow
def test_a_rotated_key_keeps_old_tokens_valid_and_signs_new_ones_across_a_restart(
    tmp_path: Path,
) -> None:
    first, second = keygen(tmp_path, "first.pem", "EdDSA"), keygen(tmp_path, "second.pem", "EdDSA")
    with serving(tmp_path, **env("EdDSA", first)) as base:
        old_token = login(base, password=ADMIN_PASSWORD)["access_token"]
    rotated = env("EdDSA", second, BALLAST_JWT_PREVIOUS_KEY_FILES=first)
    with serving(tmp_path, **rotated) as base:
        me = httpx.get(f"{base}/api/auth/me", headers=bearer(old_token))
        new_token = login(base, password=ADMIN_PASSWORD)["access_token"]
        kids = [k["kid"] for k in httpx.get(f"{base}/.well-known/jwks.json").json()["keys"]]
        old_claims = verify_elsewhere(base, old_token, "EdDSA")
        new_claims = verify_elsewhere(base, new_token, "EdDSA")
    with serving(tmp_path, **env("EdDSA", second)) as base:
        dropped = httpx.get(f"{base}/api/auth/me", headers=bearer(old_token))

    assert me.status_code == 200, me.text
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    new_kid = jwt.get_unverified_header(new_token)["kid"]
    assert old_kid != new_kid
    assert kids == [new_kid, old_kid]  # current first
    assert old_claims["sub"] == new_claims["sub"] == "admin"
    assert dropped.status_code == 401  # once the old key is no longer listed


def test_the_jwks_is_cacheable_and_answers_304_to_its_etag() -> None:
    with running_app() as client:
        first = client.get("/.well-known/jwks.json")
        again = client.get(
            "/.well-known/jwks.json", headers={"If-None-Match": first.headers["etag"]}
        )

    assert first.status_code == 200
    assert first.json() == {"keys": []}  # HS256: nothing public to publish
    assert "max-age" in first.headers["cache-control"]
    assert again.status_code == 304


def test_an_hs256_token_without_kid_is_accepted_until_it_expires() -> None:
    with running_app() as client:
        issued = jwt.decode(
            login(client)["access_token"], SECRET, algorithms=["HS256"], issuer="ballast"
        )
        legacy = jwt.encode(issued, SECRET, algorithm="HS256")  # as tokens were before kid
        expired = jwt.encode({**issued, "exp": int(issued["iat"]) - 1}, SECRET, algorithm="HS256")
        accepted = client.get("/api/auth/me", headers=bearer(legacy))
        refused = client.get("/api/auth/me", headers=bearer(expired))

    assert "kid" not in jwt.get_unverified_header(legacy)
    assert accepted.status_code == 200
    assert refused.status_code == 401


def test_a_token_for_another_audience_is_refused() -> None:
    with running_app(jwt_audience="billing") as billing:
        token = login(billing)["access_token"]
        own = billing.get("/api/auth/me", headers=bearer(token))
    with running_app(jwt_audience="shipping") as shipping:
        other = shipping.get("/api/auth/me", headers=bearer(token))
    with running_app() as no_audience:
        unaware = no_audience.get("/api/auth/me", headers=bearer(token))
        plain = login(no_audience)["access_token"]
    with running_app(jwt_audience="billing") as billing:
        missing = billing.get("/api/auth/me", headers=bearer(plain))

    assert own.status_code == 200
    assert other.status_code == 401
    assert unaware.status_code == 401
    assert missing.status_code == 401
