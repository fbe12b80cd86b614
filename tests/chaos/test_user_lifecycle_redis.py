"""The user lifecycle on two instances sharing one real redis-server: each change is seen by
the other instance within a second, and a change made during an outage is replayed, written
back, and learned by the other instance and by one started after it."""

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.redis_server import RedisServer
from tests.support.apps import bearer, login, redis_settings, redis_status, running_app
from tests.support.waiting import eventually

ALICE = "alice-password"
Change = Callable[[TestClient, dict[str, Any], dict[str, Any]], int]


def setup(a: TestClient) -> dict[str, Any]:
    admin = login(a)
    created = a.post(
        "/api/users",
        json={"username": "alice", "password": ALICE, "roles": ["service"]},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    return admin


def me(client: TestClient, tokens: dict[str, Any]) -> int:
    return client.get("/api/auth/me", headers=bearer(tokens)).status_code


CHANGES: dict[str, Change] = {
    "disable": lambda a, admin, alice: (
        a.patch("/api/users/alice", json={"disabled": True}, headers=bearer(admin)).status_code
    ),
    "remove_role": lambda a, admin, alice: (
        a.patch("/api/users/alice", json={"roles": []}, headers=bearer(admin)).status_code
    ),
    "delete": lambda a, admin, alice: (
        a.delete("/api/users/alice", headers=bearer(admin)).status_code
    ),
    "password": lambda a, admin, alice: (
        a.post(
            "/api/auth/password",
            json={"current_password": ALICE, "new_password": "a-better-password"},
            headers=bearer(login(a, "alice", ALICE)),
        ).status_code
    ),
    "logout_all": lambda a, admin, alice: (
        a.post("/api/auth/logout-all", headers=bearer(alice)).status_code
    ),
}
OK = {"disable": 200, "remove_role": 200, "delete": 204, "password": 204, "logout_all": 204}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_lifecycle_change_on_one_instance_holds_on_the_other_within_a_second(
    own_redis: RedisServer, change: str
) -> None:
    settings = redis_settings(own_redis.url)
    with running_app(settings) as a, running_app(settings) as b:
        admin = setup(a)
        alice = login(b, "alice", ALICE)
        assert me(b, alice) == 200
        assert CHANGES[change](a, admin, alice) == OK[change]
        assert eventually(lambda: me(b, alice) == 401, within=1.0)
        refreshed = b.post("/api/auth/refresh", json={"refresh_token": alice["refresh_token"]})
        assert refreshed.status_code == 401


@pytest.mark.slow
@pytest.mark.parametrize("change", ["disable", "delete", "logout_all"])
def test_a_lifecycle_change_during_an_outage_is_replayed_and_written_back(
    own_redis: RedisServer, change: str
) -> None:
    settings = redis_settings(own_redis.url)
    with running_app(settings) as a, running_app(settings) as b:
        admin = setup(a)
        alice = login(b, "alice", ALICE)
        assert a.get("/api/users/alice", headers=bearer(admin)).status_code == 200  # mirrored
        own_redis.kill()
        assert CHANGES[change](a, admin, alice) == OK[change]
        assert me(a, alice) == 401  # at once, on the instance that made it
        own_redis.start()  # back, and empty: it knows nothing of the change
        assert eventually(lambda: redis_status(a) == "pass" and redis_status(b) == "pass")
        assert eventually(lambda: me(b, alice) == 401, within=10.0)
    with running_app(settings) as late:
        assert me(late, alice) == 401  # learned from Redis: the cut-off was written back
