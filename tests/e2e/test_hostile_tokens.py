"""Hostile tokens: each one a 401 problem with error="invalid_token", never a 500."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from tests.support.apps import ISSUER, SECRET, assert_problem, bearer, login, running_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with running_app() as client:
        yield client


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "admin",
        "jti": "hostile-jti",
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "type": "access",
        "roles": ["admin"],
        "fam": "hostile-family",
    }
    return {**base, **changes}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: dict[str, Any]) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(payload).encode())}."


def hs512(payload: dict[str, Any]) -> str:
    """Signed with the right secret but another algorithm (pyjwt would warn on the key size)."""
    header = b64(json.dumps({"alg": "HS512", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    mac = hmac.new(SECRET.encode(), f"{header}.{body}".encode(), hashlib.sha512).digest()
    return f"{header}.{body}.{b64(mac)}"


def tampered(token: str) -> str:
    """The payload rewritten to a plain user's token claiming admin, the signature kept."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["sub"] = "root"
    return f"{header}.{b64(json.dumps(data).encode())}.{signature}"


def assert_invalid_token(response: Any) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def signed(**changes: Any) -> str:
    return jwt.encode(claims(**changes), SECRET, algorithm="HS256")


def test_a_well_formed_token_signed_with_the_secret_is_accepted(client: TestClient) -> None:
    # The control for every test below: the hand-made claims are what the service issues.
    response = client.get("/api/auth/me", headers=bearer(signed()))

    assert response.status_code == 200
    assert response.json() == {"username": "admin", "roles": ["admin"]}


HOSTILE: dict[str, Callable[[], str]] = {
    "alg_none": lambda: unsigned(claims()),
    "alg_none_with_empty_signature_variants": lambda: unsigned(claims()) + "AAAA",
    "another_key": lambda: jwt.encode(claims(), "another-secret-of-32-bytes-or-more!!", "HS256"),
    "another_algorithm_hs512": lambda: hs512(claims()),
    "expired": lambda: signed(iat=int(time.time()) - 1000, exp=int(time.time()) - 1),
    "not_yet_valid": lambda: signed(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200),
    "wrong_issuer": lambda: signed(iss="someone-else"),
    "no_issuer": lambda: jwt.encode(
        {k: v for k, v in claims().items() if k != "iss"}, SECRET, "HS256"
    ),
    "missing_type": lambda: jwt.encode(
        {k: v for k, v in claims().items() if k != "type"}, SECRET, "HS256"
    ),
    "unknown_type": lambda: signed(type="id"),
    "unknown_role": lambda: signed(roles=["superuser"]),
    "roles_not_a_list": lambda: signed(roles="admin"),
    "exp_not_an_integer": lambda: signed(exp="tomorrow"),
    "refresh_type": lambda: signed(type="refresh"),
    "garbage_10_kb": lambda: "x" * 10_240,
    "three_dots_of_nothing": lambda: "..",
    "non_ascii": lambda: "\u00e9" * 100,
}


# Header values are Latin-1 on the wire; non-ASCII tokens travel in JSON bodies only.
HEADER_SAFE = {name: make for name, make in HOSTILE.items() if make().isascii()}


@pytest.mark.parametrize("make_token", HEADER_SAFE.values(), ids=HEADER_SAFE.keys())
def test_a_hostile_token_is_a_401_invalid_token_problem(
    client: TestClient, make_token: Callable[[], str]
) -> None:
    assert_invalid_token(client.get("/api/auth/me", headers=bearer(make_token())))


def test_latin_1_bytes_after_bearer_are_refused(client: TestClient) -> None:
    response = client.get("/api/auth/me", headers={"Authorization": b"Bearer " + b"\xff" * 100})

    assert_invalid_token(response)


def test_a_tampered_payload_is_refused(client: TestClient) -> None:
    token = login(client)["access_token"]

    assert_invalid_token(client.get("/api/auth/me", headers=bearer(tampered(token))))


def test_ten_kilobytes_of_random_looking_base64_after_bearer_is_refused(
    client: TestClient,
) -> None:
    garbage = b64(bytes(range(256)) * 40)[:10_240]

    assert_invalid_token(client.get("/api/auth/me", headers={"Authorization": f"Bearer {garbage}"}))


def test_a_refresh_token_used_as_an_access_token_is_refused(client: TestClient) -> None:
    tokens = login(client)

    assert_invalid_token(client.get("/api/auth/me", headers=bearer(tokens["refresh_token"])))


def test_an_access_token_used_for_refresh_is_refused_and_uses_nothing_up(
    client: TestClient,
) -> None:
    tokens = login(client)

    refused = client.post("/api/auth/refresh", json={"refresh_token": tokens["access_token"]})

    assert_invalid_token(refused)
    assert client.get("/api/auth/me", headers=bearer(tokens["access_token"])).status_code == 200
    renewed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200


@pytest.mark.parametrize("make_token", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_refresh_token_is_a_401_problem(
    client: TestClient, make_token: Callable[[], str]
) -> None:
    response = client.post("/api/auth/refresh", json={"refresh_token": make_token()})

    assert_invalid_token(response)


def test_a_hostile_token_is_refused_on_every_protected_route(client: TestClient) -> None:
    token = unsigned(claims())
    for method, path in [
        ("GET", "/api/auth/me"),
        ("POST", "/api/auth/logout"),
        ("POST", "/api/auth/revoke"),
        ("GET", "/api/auth/events"),
        ("POST", "/api/users"),
    ]:
        assert_invalid_token(client.request(method, path, headers=bearer(token), json={}))


@pytest.mark.parametrize("make_token", HOSTILE.values(), ids=HOSTILE.keys())
def test_revoking_a_hostile_token_says_what_is_wrong_with_it_in_its_own_words(
    client: TestClient, make_token: Callable[[], str]
) -> None:
    admin = login(client)["access_token"]
    response = client.post("/api/auth/revoke", json={"token": make_token()}, headers=bearer(admin))
    if response.status_code != 204:  # a well-signed refresh token is revocable
        # Well-formed (a string), but nothing this service would revoke: a 404.
        body = assert_problem(response, 404)
        assert body["detail"].startswith("not a live token of this service: ")
