"""A silent hang is found by the heartbeat, not by the first unlucky request; and one
request waits on Redis one command timeout in total, however many calls it makes."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import pytest
from starlette.testclient import TestClient

from adapters.failover.breaker import BreakerState
from adapters.failover.link import RedisLink
from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import Settings
from tests.fakes import fast_hasher
from tests.redis_server import RedisServer
from tests.support.apps import bearer, login, redis_settings
from tests.support.waiting import eventually

pytestmark = pytest.mark.redis


@contextmanager
def app_and_link(settings: Settings) -> Iterator[tuple[TestClient, RedisLink]]:
    container = bootstrap(settings, {PasswordHasher: fast_hasher()})
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client, container.resolve(RedisLink)


def test_the_heartbeat_opens_the_breaker_during_a_quiet_hang(own_redis: RedisServer) -> None:
    with app_and_link(redis_settings(own_redis.url)) as (app, link):
        tokens = login(app)
        # Only a route that never touches Redis runs: nothing but the heartbeat can notice.
        own_redis.hang()
        try:
            assert app.get("/api/auth/me", headers=bearer(tokens)).status_code == 200
            assert eventually(lambda: link.breaker.state is BreakerState.OPEN)
            failures_before = link.breaker.consecutive_failures
            after = login(app)  # the first login after the hang: straight to the fallbacks
            assert app.get("/api/auth/me", headers=bearer(after)).status_code == 200
            assert link.breaker.consecutive_failures == failures_before
            assert link.counters.budget_refusals == 0
        finally:
            own_redis.resume()
        assert eventually(lambda: link.breaker.state is BreakerState.CLOSED)


def test_a_login_on_hung_redis_waits_one_command_timeout_in_total(
    own_redis: RedisServer,
) -> None:
    settings = redis_settings(own_redis.url)
    # No heartbeat and a breaker that never opens: only the budget bounds the request.
    assert settings.redis is not None
    redis = attrs.evolve(settings.redis, failures_to_open=1000, heartbeat_interval=60.0)
    with app_and_link(attrs.evolve(settings, redis=redis)) as (app, link):
        login(app)
        own_redis.hang()
        try:
            started = time.monotonic()
            tokens = login(app)  # user read, refresh family, auth event: several calls
            elapsed = time.monotonic() - started
            assert app.get("/api/auth/me", headers=bearer(tokens)).status_code == 200
            # One call timed out; the login's other calls never waited: the next went to
            # the fallback on the spent budget, and its journaled write opened the breaker.
            assert link.breaker.consecutive_failures == 1
            assert link.counters.budget_refusals >= 1
            assert link.breaker.state is not BreakerState.CLOSED
            print(f"login on hung Redis: {elapsed:.3f} s")  # informative, not asserted
        finally:
            own_redis.resume()
