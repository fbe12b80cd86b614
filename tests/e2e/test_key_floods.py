"""What the app keeps per key an outsider chooses stays at its bound however many keys one
sends: each collection is driven past its bound over HTTP (addresses behind a trusted proxy,
client ids, Host headers), /metrics shows it full and no fuller (a cache) or counts what it
dropped (the limiter's clients), and the answers stay right, for the clients pushed out too.

/metrics counts every live cache of the process: each test collects the apps of earlier tests
first and counts from what it reads before its flood."""

import base64
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.api.oauth_client_auth import MAX_BLOCKED
from entrypoints.api.oauth_routes import MAX_KEPT_BASE, MAX_KEPT_BASES
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import RateLimit, RedisSettings, Storage
from tests.fakes import fast_hasher
from tests.redis_server import RedisServer
from tests.support.apps import settings
from tests.support.asgi import Call, answers
from tests.support.metrics import cache_entries, scraped
from tests.support.oauth import admin_token, grant, new_client

PROXY = ("10.0.0.1", 40000)  # the trusted proxy every request comes through
METADATA = "/.well-known/oauth-authorization-server"
TRACKED = 64
LIMITER_DROPPED = 'ballast_memory_dropped_entries_total{store="rate_limiter"}'


@contextmanager
def behind_proxy(**changes: Any) -> Iterator[TestClient]:
    """The app behind a trusted proxy, whose X-Forwarded-For names each request's client."""
    gc.collect()  # apps of earlier tests: their caches leave the count now, not mid-test
    container = bootstrap(
        settings(trusted_proxies=(PROXY[0],), **changes), {PasswordHasher: fast_hasher()}
    )
    with TestClient(create_app(container), client=PROXY) as client:
        yield client


def forwarded(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def address(i: int) -> str:
    """One of the 2^64 addresses of a single IPv6 /64."""
    return f"2001:db8:0:1::{i:x}"


@pytest.mark.redis
def test_the_clients_the_limiter_tracks_stay_at_its_bound_and_those_dropped_are_counted(
    empty_redis: RedisServer,
) -> None:
    """Behind Redis the limiter decides in process and tracks each client it sees, at most
    BALLAST_FALLBACK_MAX_ENTRIES of them (an operator's number, small here)."""
    redis = RedisSettings(empty_redis.url, fallback_max=TRACKED)
    with behind_proxy(rate_limit=RateLimit(2, 3600), storage=Storage.REDIS, redis=redis) as client:
        before = scraped(client, LIMITER_DROPPED)
        flood = answers(
            client,
            (Call("GET", "/api/auth/me", forwarded(address(i))) for i in range(2 * TRACKED)),
            PROXY,
        )
        dropped = scraped(client, LIMITER_DROPPED) - before
        # A client tracked still counts: the newest of the flood is refused at its third.
        last = [
            client.get("/api/auth/me", headers=forwarded(address(2 * TRACKED - 1))).status_code
            for _ in range(2)
        ]

    assert {r.status for r in flood} == {401}
    assert {r.headers["ratelimit-remaining"] for r in flood} == {"1"}
    assert dropped == TRACKED
    assert last == [401, 429]


def wrong_secret(client_id: str) -> Call:
    """A grant asked with a wrong secret in HTTP Basic."""
    basic = base64.b64encode(f"{client_id}:wrong".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return Call("POST", "/oauth/token", headers, b"grant_type=client_credentials")


def mallory(i: int) -> str:
    """A client id of the longest the key keeps (128 characters), each one different."""
    return f"mallory-{i:06d}".ljust(128, "m")


@pytest.mark.slow
def test_the_refused_client_keys_stay_at_their_bound_and_a_key_pushed_out_stays_refused() -> None:
    with behind_proxy(login_rate_limit=RateLimit(1, 3600)) as client:
        creds = new_client(client, admin_token(client), ["notifications:send"])
        before = cache_entries(client, "oauth_blocked_keys")
        # Two wrong secrets per client id: the first is counted, the second refused and kept.
        flood = answers(
            client,
            (wrong_secret(mallory(i)) for i in range(MAX_BLOCKED + 1) for _ in range(2)),
            PROXY,
        )
        full = cache_entries(client, "oauth_blocked_keys") - before
        [again] = answers(client, [wrong_secret(mallory(0))], PROXY)
        honest = grant(client, creds)
        after = cache_entries(client, "oauth_blocked_keys") - before

    assert [r.status for r in flood] == [401, 429] * (MAX_BLOCKED + 1)
    assert full == after == MAX_BLOCKED
    assert again.status == 429
    assert honest.status_code == 200


def test_the_metadata_kept_stays_at_its_bound_and_an_overlong_host_is_answered_not_kept() -> None:
    with behind_proxy() as client:
        before = cache_entries(client, "oauth_metadata")
        host = "h" * 8000 + ".example"
        overlong = client.get(METADATA, headers={"Host": host})
        kept_of_overlong = cache_entries(client, "oauth_metadata") - before
        # Each the longest kept: "http://" and the host make MAX_KEPT_BASE characters.
        hosts = [f"{i:03d}.".ljust(MAX_KEPT_BASE - 7, "h") for i in range(4 * MAX_KEPT_BASES)]
        flood = answers(client, (Call("GET", METADATA, {"Host": h}) for h in hosts), PROXY)
        full = cache_entries(client, "oauth_metadata") - before

    assert overlong.status_code == 200
    assert overlong.json()["token_endpoint"] == f"http://{host}/oauth/token"
    assert len(f"http://{host}") > MAX_KEPT_BASE and kept_of_overlong == 0
    assert [r.json()["token_endpoint"] for r in flood] == [f"http://{h}/oauth/token" for h in hosts]
    assert full == MAX_KEPT_BASES
