"""OAuth clients on instances sharing one real redis-server: a change on one instance holds
on the other within a second; through an outage (refused and hung) grants go on for live
clients, a disabled or deleted client and a revoked token stay refused, the change made
meanwhile is replayed and written back to a Redis restarted empty; 503 under fail_closed."""

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from adapters.client_secrets import HmacClientSecrets
from domain.clients import Client
from domain.users import UserSource
from entrypoints.settings import OnRedisDown
from tests.redis_server import RedisServer
from tests.support.apps import redis_settings, redis_status
from tests.support.apps import running_app as chaos_app
from tests.support.clients import bearer, login
from tests.support.waiting import eventually

pytestmark = pytest.mark.redis
SCOPES = ["users:read", "notifications:send"]
Change = Callable[[TestClient, dict[str, Any], str], int]


def new_client(app: TestClient, admin: dict[str, Any], name: str = "billing") -> dict[str, Any]:
    response = app.post(
        "/api/clients", json={"name": name, "scopes": SCOPES}, headers=bearer(admin)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def grant(app: TestClient, creds: dict[str, Any]) -> Any:
    return app.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )


def call(app: TestClient, token: str) -> int:
    return app.get("/api/users", headers={"Authorization": f"Bearer {token}"}).status_code


CHANGES: dict[str, Change] = {
    "disable": lambda a, admin, cid: (
        a.patch(f"/api/clients/{cid}", json={"disabled": True}, headers=bearer(admin)).status_code
    ),
    "scope_removed": lambda a, admin, cid: (
        a.patch(
            f"/api/clients/{cid}", json={"scopes": ["notifications:send"]}, headers=bearer(admin)
        ).status_code
    ),
    "delete": lambda a, admin, cid: (
        a.delete(f"/api/clients/{cid}", headers=bearer(admin)).status_code
    ),
}
OK = {"disable": 200, "scope_removed": 200, "delete": 204}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_on_one_instance_refuses_the_clients_tokens_on_the_other_within_a_second(
    own_redis: RedisServer, change: str
) -> None:
    settings = redis_settings(own_redis.url)
    with chaos_app(settings) as a, chaos_app(settings) as b:
        admin = login(a)
        creds = new_client(a, admin)
        assert eventually(lambda: grant(b, creds).status_code == 200, within=1.0)
        token = grant(b, creds).json()["access_token"]
        assert call(b, token) == 200
        assert CHANGES[change](a, admin, creds["client_id"]) == OK[change]
        assert eventually(lambda: call(b, token) == 401, within=1.0)
        again = grant(b, creds)

    if change == "scope_removed":
        assert again.json()["scope"] == "notifications:send"
    else:
        assert again.status_code in (400, 401)


@pytest.mark.parametrize("outage", ["refused", "hung"])
def test_grants_go_on_through_an_outage_and_what_was_refused_stays_refused(
    own_redis: RedisServer, outage: str
) -> None:
    settings = redis_settings(own_redis.url)
    with chaos_app(settings) as a, chaos_app(settings) as b:
        admin = login(a)
        live, doomed, revoked = (new_client(a, admin, n) for n in ("live", "doomed", "revoked"))
        assert eventually(lambda: grant(b, revoked).status_code == 200, within=1.0)
        revoked_token = grant(b, revoked).json()["access_token"]
        # Before the outage: a deletion and a revocation every instance learns.
        assert (
            a.delete(f"/api/clients/{doomed['client_id']}", headers=bearer(admin)).status_code
            == 204
        )
        auth = (revoked["client_id"], revoked["client_secret"])
        assert a.post("/oauth/revoke", data={"token": revoked_token}, auth=auth).status_code == 200
        assert eventually(lambda: call(b, revoked_token) == 401, within=1.0)
        if outage == "refused":
            own_redis.kill()
        else:
            own_redis.hang()
        try:
            during = {
                "live": [grant(x, live).status_code for x in (a, b)],
                "doomed": [grant(x, doomed).status_code for x in (a, b)],
                "revoked token": [call(x, revoked_token) for x in (a, b)],
            }
            token = grant(b, live).json()["access_token"]
            during["new token"] = [call(x, token) for x in (a, b)]
            # A change made during the outage holds at once where it was made.
            disabled = a.patch(
                f"/api/clients/{live['client_id']}", json={"disabled": True}, headers=bearer(admin)
            )
            during["disabled here"] = [grant(a, live).status_code, call(a, token)]
        finally:
            if outage == "refused":
                own_redis.start()  # back, and empty
            else:
                own_redis.resume()
        assert eventually(lambda: redis_status(a) == "pass" and redis_status(b) == "pass")
        assert eventually(lambda: grant(b, live).status_code == 400, within=10.0)
        after = [call(b, token), grant(b, doomed).status_code]
    with chaos_app(settings) as late:
        learned = grant(late, live).status_code, grant(late, doomed).status_code

    assert during["live"] == [200, 200]
    assert during["doomed"] == [401, 401]
    assert during["revoked token"] == [401, 401]
    assert during["new token"] == [200, 200]
    assert disabled.status_code == 200
    assert during["disabled here"] == [400, 401]
    assert after == [401, 401]
    assert learned == (400, 401)


def test_fail_closed_answers_grants_503_while_redis_is_down(own_redis: RedisServer) -> None:
    settings = redis_settings(own_redis.url, OnRedisDown.FAIL_CLOSED)
    with chaos_app(settings) as a:
        admin = login(a)
        creds = new_client(a, admin)
        assert grant(a, creds).status_code == 200
        own_redis.kill()
        try:
            assert eventually(lambda: redis_status(a) != "pass")
            refused = grant(a, creds)
        finally:
            own_redis.start()

    assert refused.status_code == 503
    assert "retry-after" in refused.headers


def test_a_client_the_file_no_longer_lists_is_removed_with_its_tokens(
    own_redis: RedisServer,
) -> None:
    secrets_ = HmacClientSecrets()
    secret = secrets_.new_secret()
    configured = Client(
        "billing",
        "Billing",
        secrets_.hash(secret),
        frozenset({"users:read"}),
        source=UserSource.FILE,
    )
    creds = {"client_id": "billing", "client_secret": secret}
    with chaos_app(redis_settings(own_redis.url, clients=(configured,))) as a:
        token = grant(a, creds).json()["access_token"]
        assert call(a, token) == 200
    with chaos_app(redis_settings(own_redis.url)) as b:
        refused = grant(b, creds).status_code, call(b, token)

    assert refused == (401, 401)
