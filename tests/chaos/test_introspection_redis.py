"""Introspection with Redis: answered from the local replica, so it sends Redis nothing, and
it keeps answering, right, while Redis is hung."""

from typing import Any

import redis

from tests.redis_server import RedisServer
from tests.support.apps import bearer, login, redis_settings, running_app

# What a request that read or wrote auth state would send (heartbeats and other background
# housekeeping are left out: they run whatever the requests do).
REQUEST_COMMANDS = {"get", "mget", "exists", "set", "evalsha", "eval", "xadd", "publish"}


def commands(url: str) -> dict[str, int]:
    """Calls so far of each command a request could send, as Redis counts them."""
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        stats: dict[str, Any] = client.info("commandstats")
    finally:
        client.close()
    return {
        name.removeprefix("cmdstat_"): value["calls"]
        for name, value in stats.items()
        if name.removeprefix("cmdstat_") in REQUEST_COMMANDS
    }


def test_introspection_sends_redis_no_command(own_redis: RedisServer) -> None:
    with running_app(redis_settings(own_redis.url)) as app:
        tokens = login(app)
        revoked = login(app)
        assert app.post("/api/auth/logout", headers=bearer(revoked)).status_code == 204
        before = commands(own_redis.url)
        answers = [
            app.post(
                "/api/auth/introspect", data={"token": t["access_token"]}, headers=bearer(tokens)
            ).json()["active"]
            for t in (tokens, revoked) * 10
        ]
        after = commands(own_redis.url)

    assert answers == [True, False] * 10
    assert before  # the logins and the logout were counted: the counting works
    assert after == before


def test_introspection_answers_while_redis_is_hung(own_redis: RedisServer) -> None:
    with running_app(redis_settings(own_redis.url)) as app:
        tokens = login(app)
        revoked = login(app)
        assert app.post("/api/auth/logout", headers=bearer(revoked)).status_code == 204
        own_redis.hang()
        live = app.post(
            "/api/auth/introspect", data={"token": tokens["access_token"]}, headers=bearer(tokens)
        )
        dead = app.post(
            "/api/auth/introspect", data={"token": revoked["access_token"]}, headers=bearer(tokens)
        )
        own_redis.resume()

    assert live.json()["active"] is True
    assert dead.json() == {"active": False}
