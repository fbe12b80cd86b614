"""Notifications through a Redis outage, over HTTP: sent while Redis is dead, readable during
the outage, in Redis after it (read by a fresh instance), delivered once per idempotency key."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from starlette.testclient import TestClient

from application.notifications.delivery import DeliveryWorker
from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import OnRedisDown, Settings
from tests.fakes import fast_hasher
from tests.redis_server import RedisServer
from tests.support.apps import bearer, login, redis_check, redis_settings
from tests.support.waiting import eventually


@attrs.frozen
class Instance:
    client: TestClient
    worker: DeliveryWorker


@contextmanager
def instance(settings: Settings) -> Iterator[Instance]:
    container = bootstrap(settings, {PasswordHasher: fast_hasher()})
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield Instance(client, container.resolve(DeliveryWorker))


def create_user(client: TestClient, admin: dict[str, str], name: str, roles: list[str]) -> None:
    body = {"username": name, "password": f"{name}-password", "roles": roles}
    response = client.post("/api/users", json=body, headers=admin)
    assert response.status_code == 201, response.text


def send(client: TestClient, service: dict[str, str], key: str) -> Any:
    return client.post(
        "/api/notifications",
        json={"recipient": "alice", "channel": "log", "subject": "Outage", "body": "still here"},
        headers={**service, "Idempotency-Key": key},
    )


def test_a_notification_sent_during_an_outage_is_read_during_it_and_found_in_redis_after(
    own_redis: RedisServer,
) -> None:
    settings = redis_settings(own_redis.url)
    with instance(settings) as first:
        client = first.client
        admin = bearer(login(client))
        create_user(client, admin, "billing", ["service"])
        create_user(client, admin, "alice", [])
        service = bearer(login(client, "billing", "billing-password"))
        alice = bearer(login(client, "alice", "alice-password"))

        own_redis.kill()
        accepted = send(client, service, "outage-1")
        assert accepted.status_code == 202, accepted.text
        notification_id = accepted.json()["id"]
        repeat = send(client, service, "outage-1")
        assert (repeat.status_code, repeat.json()["id"]) == (200, notification_id)

        url = f"/api/notifications/{notification_id}"
        assert client.get(url, headers=alice).status_code == 200
        assert eventually(lambda: client.get(url, headers=alice).json()["status"] == "sent")
        assert redis_check(client)["mode"] == "fallback"

        own_redis.restart()  # empty: only the replay can put the notification back
        assert eventually(
            lambda: (
                redis_check(client)["mode"] == "primary"
                and redis_check(client)["pending_replay"] == 0
            )
        )
        assert first.worker.delivered == 1

    with instance(settings) as fresh:
        got = fresh.client.get(url, headers=alice)
        assert got.status_code == 200, got.text
        assert (got.json()["status"], got.json()["attempts"]) == ("sent", 1)
        listed = fresh.client.get("/api/notifications", headers=alice).json()["items"]
        assert [n["id"] for n in listed] == [notification_id]
        again = send(fresh.client, service, "outage-1")
        assert (again.status_code, again.json()["id"]) == (200, notification_id)
        assert len(fresh.worker) == 0 and fresh.worker.delivered == 0


def test_under_fail_closed_sending_during_an_outage_is_a_503_with_retry_after(
    own_redis: RedisServer,
) -> None:
    settings = redis_settings(own_redis.url, OnRedisDown.FAIL_CLOSED)
    with instance(settings) as app:
        client = app.client
        admin = bearer(login(client))
        own_redis.kill()
        response = send(client, admin, "closed-1")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "retry-after" in response.headers
