"""Every policy starts while Redis is down; under fail_closed the configured users are
seeded when Redis answers, before requests use it."""

import pytest
import redis

from adapters.redis import keys
from entrypoints.settings import OnRedisDown
from tests.redis_server import RedisServer
from tests.support.apps import (
    ADMIN_PASSWORD,
    bearer,
    login,
    redis_settings,
    redis_status,
    running_app,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("policy", list(OnRedisDown))
@pytest.mark.parametrize("outage", ["refused", "hung"])
def test_every_policy_starts_with_redis_down_and_seeds_users_when_it_answers(
    own_redis: RedisServer, policy: OnRedisDown, outage: str
) -> None:
    if outage == "refused":
        own_redis.kill()
    else:
        own_redis.hang()
    with running_app(redis_settings(own_redis.url, policy)) as app:
        assert app.get("/health/live").status_code == 200
        health = app.get("/health")
        attempt = app.post(
            "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        if policy is OnRedisDown.FAIL_CLOSED:
            assert (health.status_code, health.json()["status"]) == (503, "fail")
            assert attempt.status_code == 503
            assert attempt.headers["Retry-After"].isdigit()
            assert attempt.headers["content-type"] == "application/problem+json"
        else:
            assert (health.status_code, health.json()["status"]) == (200, "warn")
            assert attempt.status_code == 200

        if outage == "refused":
            own_redis.start()
        else:
            own_redis.resume()
        assert eventually(lambda: redis_status(app) == "pass")
        with redis.Redis(port=own_redis.port, socket_timeout=5) as client:
            assert client.exists(keys.user("admin")) == 1
        tokens = login(app)
        assert app.get("/api/auth/me", headers=bearer(tokens)).status_code == 200
