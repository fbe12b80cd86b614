"""Rate limits over HTTP: headers, 429 problems, login limits, trusted proxies, exemptions."""

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.types import Message

from adapters.jwt_codec import JwtTokenCodec
from adapters.jwt_keys import secret_ring
from adapters.system import SystemClock
from domain.ports import PasswordHasher, TokenCodec
from domain.tokens import TokenClaims
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import RateLimit, Settings
from tests.fakes import fast_hasher
from tests.support.asgi import http_scope

ADMIN = "admin-password"
JSON_TYPE = {"Content-Type": "application/json"}


def client_for(peer: tuple[str, int] = ("203.0.113.7", 50000), **settings: Any) -> TestClient:
    app = create_app(
        bootstrap(Settings(admin_password=ADMIN, **settings), {PasswordHasher: fast_hasher()})
    )
    return TestClient(app, client=peer)


def behind_proxies() -> TestClient:
    """From a proxy of 10.0.0.0/8, all trusted; one request an hour per client."""
    return client_for(
        ("10.1.2.3", 40000), rate_limit=RateLimit(1, 3600), trusted_proxies=("10.0.0.0/8",)
    )


@pytest.fixture
def limited() -> Iterator[TestClient]:
    with client_for(rate_limit=RateLimit(3, 3600), login_rate_limit=RateLimit(2, 3600)) as c:
        yield c


def test_limited_responses_carry_the_ratelimit_headers(limited: TestClient) -> None:
    responses = [limited.get("/api/auth/me") for _ in range(3)]
    assert [r.headers["RateLimit-Limit"] for r in responses] == ["3", "3", "3"]
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    assert [r.headers["RateLimit-Reset"] for r in responses] == ["1200", "2400", "3600"]


def test_over_the_limit_is_a_429_problem_with_retry_after(limited: TestClient) -> None:
    for _ in range(3):
        limited.get("/api/auth/me")
    response = limited.get("/api/auth/me")
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert response.headers["Retry-After"] == "1200"
    assert response.headers["RateLimit-Remaining"] == "0"


def test_operations_routes_are_not_limited(limited: TestClient) -> None:
    for _ in range(5):
        for path in ("/health", "/health/live", "/metrics", "/openapi.json", "/docs"):
            response = limited.get(path)
            assert response.status_code == 200, path
            assert "RateLimit-Limit" not in response.headers
    assert limited.get("/api/auth/me").headers["RateLimit-Remaining"] == "2"


def test_login_attempts_are_limited_per_address_and_username() -> None:
    with client_for(rate_limit=None, login_rate_limit=RateLimit(2, 3600)) as c:
        wrong = {"username": "admin", "password": "wrong-password"}
        assert [c.post("/api/auth/login", json=wrong).status_code for _ in range(3)] == [
            401,
            401,
            429,
        ]
        # The right password does not get past the limit either.
        right = {"username": "admin", "password": ADMIN}
        assert c.post("/api/auth/login", json=right).status_code == 429
        # Another username from the same address has its own attempts.
        other = c.post("/api/auth/login", json={"username": "bob", "password": "whatever1"})
        assert other.status_code == 401
        assert other.headers["RateLimit-Remaining"] == "1"
        # Other routes are not limited when BALLAST_RATE_LIMIT is off.
        assert "RateLimit-Limit" not in c.get("/api/auth/me").headers


def test_login_limit_reads_the_body_and_still_hands_it_on() -> None:
    with client_for(rate_limit=None, login_rate_limit=RateLimit(5, 3600)) as c:
        response = c.post("/api/auth/login", json={"username": "admin", "password": ADMIN})
        assert response.status_code == 200
        assert response.headers["RateLimit-Remaining"] == "4"
        sent = c.post("/api/auth/login", content=b"not json", headers=JSON_TYPE)
        assert sent.status_code == 400


def test_off_turns_limiting_off() -> None:
    with client_for(rate_limit=None, login_rate_limit=None) as c:
        for _ in range(20):
            response = c.get("/api/auth/me")
            assert response.status_code == 401
            assert "RateLimit-Limit" not in response.headers


def test_authenticated_requests_are_limited_per_user(limited: TestClient) -> None:
    tokens = limited.post("/api/auth/login", json={"username": "admin", "password": ADMIN}).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    # The address has used 1 of 3; the user's own count starts fresh.
    assert limited.get("/api/auth/me", headers=auth).headers["RateLimit-Remaining"] == "2"
    assert limited.get("/api/auth/me").headers["RateLimit-Remaining"] == "1"


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    with client_for(rate_limit=RateLimit(2, 3600), trusted_proxies=("10.0.0.1",)) as c:
        statuses = [
            c.get("/api/auth/me", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(3)
        ]
        assert statuses == [401, 401, 429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client() -> None:
    with behind_proxies() as c:
        first = c.get("/api/auth/me", headers={"X-Forwarded-For": "198.51.100.1, 10.9.9.9"})
        second = c.get("/api/auth/me", headers={"X-Forwarded-For": "198.51.100.2"})
        again = c.get("/api/auth/me", headers={"X-Forwarded-For": "198.51.100.1"})
        assert (first.status_code, second.status_code, again.status_code) == (401, 401, 429)


def test_several_forwarded_for_headers_are_one_list_in_order() -> None:
    with behind_proxies() as c:
        # Read in order, the client is .2: only the first header would say .1, only the last
        # the proxy 10.9.9.9, and the headers the other way round .1.
        split = [("X-Forwarded-For", hop) for hop in ("198.51.100.1", "198.51.100.2", "10.9.9.9")]
        first = c.get("/api/auth/me", headers=split)
        again = c.get("/api/auth/me", headers={"X-Forwarded-For": "198.51.100.2"})
        assert (first.status_code, again.status_code) == (401, 429)


def test_a_forwarded_hop_longer_than_any_address_is_no_address() -> None:
    """An IPv6 zone may be of any length (`fe80::1%<kilobytes>`): such a hop would make an
    address, the key of a client's limits, as large as the header. It is garbage: the client
    is the last good hop (here the proxy), the same whatever the zone says."""
    with behind_proxies() as c:
        statuses = [
            c.get("/api/auth/me", headers={"X-Forwarded-For": f"fe80::1%{zone * 4000}"}).status_code
            for zone in "ab"
        ]
        assert statuses == [401, 429]


class CountingCodec(JwtTokenCodec):
    """The real codec, counting how often a request's token is decoded."""

    decoded = 0

    def decode(self, token: str) -> TokenClaims:
        self.decoded += 1
        return super().decode(token)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/auth/me"),
        ("GET", "/api/auth/events"),
        ("GET", "/api/notifications"),
        ("GET", "/api/notifications/unknown-id"),
        ("POST", "/api/auth/logout"),
    ],
)
def test_the_rate_limiter_and_the_route_verify_the_token_once(method: str, path: str) -> None:
    settings = Settings(admin_password=ADMIN, rate_limit=RateLimit(100, 60), login_rate_limit=None)
    codec = CountingCodec(secret_ring(settings.jwt_secret), settings.jwt_issuer, SystemClock())
    container = bootstrap(settings, {PasswordHasher: fast_hasher(), TokenCodec: codec})
    with TestClient(create_app(container)) as client:
        login = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN})
        token = login.json()["access_token"]
        before = codec.decoded
        response = client.request(method, path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500
        assert response.headers["RateLimit-Limit"] == "100"
        assert codec.decoded - before == 1


def test_a_bad_token_is_refused_by_the_route_after_the_limiter_keyed_by_address() -> None:
    with client_for(rate_limit=RateLimit(2, 3600), login_rate_limit=None) as client:
        bad = {"Authorization": "Bearer not-a-token"}
        responses = [client.get("/api/auth/me", headers=bad) for _ in range(3)]
        assert [r.status_code for r in responses] == [401, 401, 429]
        # Keyed by address: a request with no token shares the same count.
        assert client.get("/api/auth/me").status_code == 429


def test_a_login_over_the_address_limit_is_answered_before_its_body_is_read() -> None:
    """The default limit is keyed by the address alone: a client over it costs no body read
    and no parse, whatever the body holds (here the reported quadratic one)."""
    hostile = ("{" * 33 + '"' + '\\"' * 32_000).encode()
    with client_for(rate_limit=RateLimit(2, 3600), login_rate_limit=RateLimit(50, 3600)) as c:
        wrong = {"username": "admin", "password": "wrong-password"}
        assert [c.post("/api/auth/login", json=wrong).status_code for _ in range(2)] == [401] * 2
        reads: list[Message] = []
        sent: list[Message] = []

        async def receive() -> Message:
            reads.append({"type": "http.request", "body": hostile, "more_body": False})
            return reads[-1]

        async def send(message: Message) -> None:
            sent.append(message)

        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(hostile)),
        ]
        scope = http_scope("POST", "/api/auth/login", headers, ("203.0.113.7", 50000))
        c.portal.call(c.app, scope, receive, send)
    assert sent[0]["status"] == 429
    assert reads == []
