"""Signed webhooks and redelivery through the real app: a receiver that fails every attempt
until the notification is failed, then comes back; the sender redelivers it."""

import base64
import secrets
from collections.abc import Iterator

import attrs
import pytest
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from application.notifications.delivery import DeliveryWorker
from domain.ports import Clock, PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from tests.fakes import FakeClock, fast_hasher
from tests.support.apps import assert_problem, bearer, create_user, login, settings
from tests.webhook_server import Reply, WebhookServer, webhook_server

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@attrs.define
class World:
    client: TestClient
    clock: FakeClock
    worker: DeliveryWorker
    receiver: WebhookServer
    admin: dict[str, str]
    sender: dict[str, str]
    other_sender: dict[str, str]

    def deliver_until_settled(self, rounds: int = 6) -> None:
        portal = self.client.portal
        assert portal is not None
        for _ in range(rounds):
            portal.call(self.worker.drain)
            self.clock.advance(30.0)  # past any backoff; tokens stay valid


@pytest.fixture
def world() -> Iterator[World]:
    clock = FakeClock()
    failing = [Reply(503)] * 5
    with webhook_server(*failing, Reply(204)) as receiver:
        config = settings(webhook_allowed_hosts=("127.0.0.1",), webhook_secrets=(SECRET,))
        container = bootstrap(config, {PasswordHasher: fast_hasher(), Clock: clock})
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            admin = login(client)["access_token"]
            for name in ("billing", "crm"):
                create_user(client, admin, name, f"{name}-password", ["service"])
            create_user(client, admin, "alice", "alice-password", [])

            def token(name: str) -> dict[str, str]:
                return bearer(login(client, name, f"{name}-password")["access_token"])

            yield World(
                client,
                clock,
                container.resolve(DeliveryWorker),
                receiver,
                bearer(admin),
                token("billing"),
                token("crm"),
            )


def failed_notification(world: World) -> str:
    sent = world.client.post(
        "/api/notifications",
        json={
            "recipient": "alice",
            "channel": "webhook",
            "subject": "Invoice",
            "body": "ready",
            "target": world.receiver.url(),
        },
        headers=world.sender,
    )
    assert sent.status_code == 202, sent.text
    world.deliver_until_settled()
    notification_id: str = sent.json()["id"]
    failed = world.client.get(f"/api/notifications/{notification_id}", headers=world.admin)
    assert failed.json()["status"] == "failed"
    assert failed.json()["error"] == "webhook answered 503"
    return notification_id


def test_the_sender_redelivers_a_failed_webhook_and_the_receiver_verifies_it(
    world: World,
) -> None:
    notification_id = failed_notification(world)

    response = world.client.post(
        f"/api/notifications/{notification_id}/redeliver", headers=world.sender
    )
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    world.deliver_until_settled()

    final = world.client.get(f"/api/notifications/{notification_id}", headers=world.admin).json()
    assert (final["status"], final["attempts"]) == ("sent", 1)
    assert len(world.receiver.received) == 6
    for request in world.receiver.received:
        payload = Webhook(SECRET).verify(request.raw, request.headers)
        assert payload["data"]["id"] == notification_id


def test_redelivering_a_notification_that_has_not_failed_is_409(world: World) -> None:
    notification_id = failed_notification(world)
    world.client.post(f"/api/notifications/{notification_id}/redeliver", headers=world.admin)

    again = world.client.post(
        f"/api/notifications/{notification_id}/redeliver", headers=world.admin
    )

    body = assert_problem(again, 409)
    assert "pending" in body["detail"]


def test_another_sender_cannot_see_or_redeliver_it(world: World) -> None:
    notification_id = failed_notification(world)

    response = world.client.post(
        f"/api/notifications/{notification_id}/redeliver", headers=world.other_sender
    )

    assert_problem(response, 404)


def test_redelivery_needs_a_token(world: World) -> None:
    assert_problem(world.client.post("/api/notifications/x/redeliver"), 401)
