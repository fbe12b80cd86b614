"""Redis killed, hung, restarted empty, or down before start: Ballast keeps serving,
keeps revoked tokens revoked, loses no write, and goes back to Redis by itself."""

from collections.abc import Callable

import pytest

from tests.redis_server import RedisServer
from tests.support.apps import bearer, login, redis_settings, redis_status, running_app
from tests.support.waiting import eventually

pytestmark = pytest.mark.redis


def _kill(server: RedisServer) -> Callable[[], None]:
    server.kill()
    return server.start


def _hang(server: RedisServer) -> Callable[[], None]:
    server.hang()
    return server.resume


def _restart_empty(server: RedisServer) -> Callable[[], None]:
    server.kill()  # a server without persistence comes back empty
    return server.start


OUTAGES = {"killed": _kill, "hung": _hang, "restarted_empty": _restart_empty}


@pytest.mark.parametrize("outage", OUTAGES)
def test_service_rides_out_an_outage_and_returns_to_redis(
    own_redis: RedisServer, outage: str
) -> None:
    settings = redis_settings(own_redis.url)
    with running_app(settings) as app:
        assert redis_status(app) == "pass"
        kept = login(app)
        revoked = login(app)
        assert app.post("/api/auth/logout", headers=bearer(revoked)).status_code == 204

        recover = OUTAGES[outage](own_redis)

        # Served from fallbacks: revoked stays revoked, everything else keeps answering.
        assert app.get("/api/auth/me", headers=bearer(revoked)).status_code == 401
        assert app.get("/api/auth/me", headers=bearer(kept)).status_code == 200
        during = login(app)
        refreshed = app.post("/api/auth/refresh", json={"refresh_token": during["refresh_token"]})
        assert refreshed.status_code == 200
        assert app.get("/api/auth/me", headers=bearer(refreshed.json())).status_code == 200
        out = login(app)
        assert app.post("/api/auth/logout", headers=bearer(out)).status_code == 204
        assert app.get("/api/auth/me", headers=bearer(out)).status_code == 401
        assert eventually(lambda: redis_status(app) == "warn")
        health = app.get("/health")
        assert health.status_code == 200
        assert health.json()["checks"]["redis"][0]["mode"] == "fallback"
        assert health.json()["checks"]["redis"][0]["pending_replay"] > 0
        assert app.get("/health/ready").status_code == 200

        recover()
        assert eventually(lambda: redis_status(app) == "pass")
        assert app.get("/health").json()["checks"]["redis"][0]["pending_replay"] == 0
        assert app.get("/api/auth/me", headers=bearer(revoked)).status_code == 401
        assert app.get("/api/auth/me", headers=bearer(out)).status_code == 401

    # A fresh instance knows only what Redis holds: the outage's writes reached it.
    with running_app(settings) as fresh:
        assert fresh.get("/api/auth/me", headers=bearer(revoked)).status_code == 401
        assert fresh.get("/api/auth/me", headers=bearer(out)).status_code == 401
        assert fresh.get("/api/auth/me", headers=bearer(kept)).status_code == 200
        admin = login(fresh)
        events = fresh.get("/api/auth/events?limit=100", headers=bearer(admin)).json()["items"]
        types = [e["type"] for e in events]
        assert "token_refreshed" in types and "logout" in types
        # The family refreshed during the outage continues on Redis.
        again = fresh.post(
            "/api/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
        )
        assert again.status_code == 200


def test_start_with_redis_refusing_serves_at_once_and_moves_to_redis(
    own_redis: RedisServer,
) -> None:
    own_redis.kill()
    settings = redis_settings(own_redis.url)
    with running_app(settings) as app:
        assert redis_status(app) == "warn"
        tokens = login(app)
        assert app.get("/api/auth/me", headers=bearer(tokens)).status_code == 200
        created = app.post(
            "/api/users",
            headers=bearer(tokens),
            json={"username": "carol", "password": "carol-password", "roles": []},
        )
        assert created.status_code == 201

        own_redis.start()
        assert eventually(lambda: redis_status(app) == "pass")

    with running_app(settings) as fresh:
        carol = login(fresh, "carol", "carol-password")
        assert fresh.get("/api/auth/me", headers=bearer(carol)).json()["username"] == "carol"


def test_refresh_token_reused_during_an_outage_revokes_its_family_on_replay(
    own_redis: RedisServer,
) -> None:
    settings = redis_settings(own_redis.url)
    with running_app(settings) as app:
        first = login(app)
        second = app.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert second.status_code == 200

        own_redis.hang()  # data kept: Redis still knows the first token was used
        assert eventually(lambda: redis_status(app) == "warn")
        # Memory has never seen this family: the stolen, used token is accepted once...
        stolen = app.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert stolen.status_code == 200
        own_redis.resume()
        assert eventually(lambda: redis_status(app) == "pass")

        # ...and the replay meets Redis, which knows it was used: the family is revoked.
        for pair in (second.json(), stolen.json()):
            assert app.get("/api/auth/me", headers=bearer(pair)).status_code == 401
        retry = app.post(
            "/api/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
        )
        assert retry.status_code == 401
        # The same rule as a reuse seen at once: the reuse is in the event log too.
        events = app.get("/api/auth/events?limit=100", headers=bearer(login(app))).json()
        replayed = [e for e in events["items"] if e["type"] == "refresh_reuse_detected"]
        assert [e["client"] for e in replayed] == ["replay"]


def test_two_instances_share_revocations(own_redis: RedisServer) -> None:
    settings = redis_settings(own_redis.url)
    with running_app(settings) as a, running_app(settings) as b:
        tokens = login(a)
        assert b.get("/api/auth/me", headers=bearer(tokens)).status_code == 200
        assert a.post("/api/auth/logout", headers=bearer(tokens)).status_code == 204
        assert eventually(
            lambda: b.get("/api/auth/me", headers=bearer(tokens)).status_code == 401, within=1.0
        )
    with running_app(settings) as restarted:
        assert restarted.get("/api/auth/me", headers=bearer(tokens)).status_code == 401


def test_revocations_made_on_another_instance_during_an_outage_are_learned_after_it(
    own_redis: RedisServer,
) -> None:
    settings = redis_settings(own_redis.url)
    with running_app(settings) as a, running_app(settings) as b:
        tokens = login(a)
        own_redis.hang()
        assert a.post("/api/auth/logout", headers=bearer(tokens)).status_code == 204
        own_redis.resume()
        assert eventually(lambda: redis_status(a) == "pass" and redis_status(b) == "pass")
        assert eventually(lambda: b.get("/api/auth/me", headers=bearer(tokens)).status_code == 401)


@pytest.mark.parametrize("outage", ["killed", "hung"])
def test_fail_closed_answers_503_with_retry_after(own_redis: RedisServer, outage: str) -> None:
    from entrypoints.settings import OnRedisDown

    settings = redis_settings(own_redis.url, OnRedisDown.FAIL_CLOSED)
    with running_app(settings) as app:
        tokens = login(app)
        OUTAGES[outage](own_redis)
        responses = [
            app.post("/api/auth/login", json={"username": "admin", "password": "admin-password"})
            for _ in range(5)
        ]
        assert {r.status_code for r in responses} == {503}
        assert all(r.headers["Retry-After"].isdigit() for r in responses)
        assert responses[-1].headers["content-type"] == "application/problem+json"
        assert app.get("/health").status_code == 503
        assert app.get("/health").json()["status"] == "fail"
        assert app.get("/health/ready").status_code == 503
        # Verifying needs no Redis: access tokens still work.
        assert app.get("/api/auth/me", headers=bearer(tokens)).status_code == 200
        if outage == "hung":
            own_redis.resume()
