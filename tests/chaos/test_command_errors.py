"""Only availability failures are outages: malformed cursors sent concurrently are 422s,
a data error that reaches Redis is a 500 for that request alone, and the breaker stays
closed through both (real redis-server)."""

import base64
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from adapters.redis import keys
from tests.redis_server import RedisServer
from tests.support.apps import (
    bearer,
    create_user,
    login,
    redis_check,
    redis_settings,
    running_app,
)

pytestmark = pytest.mark.redis
MALFORMED = ["nan|x", "inf|x", "-inf|x", "NaN|n1", "1e400|x", "|x", "12.5|", "x|y", "\udcff"]


def cursor_of(text: str) -> str:
    raw = text.encode(errors="surrogatepass")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_malformed_cursors_sent_concurrently_are_422s_and_no_outage(
    own_redis: RedisServer,
) -> None:
    with running_app(redis_settings(own_redis.url)) as app:
        admin = login(app)["access_token"]
        create_user(app, admin, "mallory", "mallory-password", [])
        mallory = bearer(login(app, "mallory", "mallory-password"))
        urls = [f"/api/notifications?cursor={cursor_of(text)}" for text in MALFORMED] * 3

        with ThreadPoolExecutor(10) as pool:
            responses = list(pool.map(lambda url: app.get(url, headers=mallory), urls))

        assert {r.status_code for r in responses} == {422}
        assert all(r.json()["errors"][0]["field"] == "cursor" for r in responses)
        check = redis_check(app)
        assert (check["status"], check["breaker"], check["mode"]) == ("pass", "closed", "primary")


def test_a_data_error_from_redis_is_a_500_for_that_request_alone(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    with running_app(redis_settings(own_redis.url)) as app:
        admin = login(app)["access_token"]
        for name in ("alice", "bob"):
            create_user(app, admin, name, f"{name}-password", [])
        alice = bearer(login(app, "alice", "alice-password"))
        bob = bearer(login(app, "bob", "bob-password"))
        # Alice's inbox holds the wrong type: every command on it is a WRONGTYPE error.
        with redis.Redis(port=own_redis.port, socket_timeout=5) as direct:
            direct.set(keys.inbox("alice"), "secret-user-data")

        with caplog.at_level(logging.ERROR):
            broken = [app.get("/api/notifications", headers=alice) for _ in range(10)]
        fine = app.get("/api/notifications", headers=bob)

        assert {r.status_code for r in broken} == {500}
        assert broken[0].headers["content-type"] == "application/problem+json"
        assert "secret" not in broken[0].text
        assert fine.status_code == 200
        check = redis_check(app)
        assert (check["status"], check["breaker"], check["mode"]) == ("pass", "closed", "primary")
        logged = [r.getMessage() for r in caplog.records if "redis_command_error" in r.getMessage()]
        assert logged and all("command=ZREVRANGEBYSCORE" in m for m in logged)
        assert not any("secret-user-data" in r.getMessage() for r in caplog.records)
