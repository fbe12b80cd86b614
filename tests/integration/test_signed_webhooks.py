"""Signed webhooks, checked as a receiver would: with the Standard Webhooks library itself,
not Ballast's own code; Retry-After read from the receiver's answer."""

import base64
import datetime
import secrets

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from adapters.channels.log import LogChannel
from adapters.channels.router import ChannelRouter
from adapters.channels.webhook import WebhookChannel, WebhookSigner, retry_after
from adapters.memory.notifications import MemoryNotificationRepository
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from domain.errors import DeliveryError
from domain.notifications import NotificationStatus
from tests.fakes import START, FakeClock
from tests.support.notifications import notification
from tests.webhook_server import ALLOWED, Received, Reply, webhook_server

pytestmark = pytest.mark.anyio


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


OLD, NEW, OTHER = new_secret(), new_secret(), new_secret()


async def delivered_with(*secrets_: str, replies: tuple[Reply, ...] = ()) -> list[Received]:
    channel = WebhookChannel(ALLOWED, signer=WebhookSigner(secrets_))
    with webhook_server(*replies) as server:
        try:
            await channel.deliver(notification(target=server.url(), at=START))
        finally:
            await channel.close()
    return server.received


async def test_a_receiver_verifies_the_signature_and_gets_the_notification() -> None:
    [request] = await delivered_with(NEW)

    payload = Webhook(NEW).verify(request.raw, request.headers)

    assert payload["type"] == "notification.created"
    assert payload["data"]["id"] == "n1"
    assert "status" not in payload["data"]
    assert request.headers["webhook-id"] == "n1"
    assert request.headers["webhook-signature"].startswith("v1,")


async def test_while_a_secret_is_rotated_receivers_with_either_secret_verify() -> None:
    [request] = await delivered_with(OLD, NEW)

    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(OLD).verify(request.raw, request.headers)
    Webhook(NEW).verify(request.raw, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER).verify(request.raw, request.headers)


async def test_a_tampered_body_does_not_verify() -> None:
    [request] = await delivered_with(NEW)

    forged = request.raw.replace(b'"subject n1"', b'"Refund now"')
    assert forged != request.raw
    with pytest.raises(WebhookVerificationError):
        Webhook(NEW).verify(forged, request.headers)


async def test_without_a_secret_nothing_claims_to_be_signed() -> None:
    [request] = await delivered_with()

    assert "webhook-signature" not in request.headers
    assert request.headers["x-ballast-notification-id"] == "n1"


async def test_every_retry_carries_the_same_message_id() -> None:
    clock = FakeClock()
    repository = MemoryNotificationRepository(clock)
    webhook = WebhookChannel(ALLOWED, signer=WebhookSigner((NEW,)))
    router = ChannelRouter(LogChannel(), webhook, None)
    worker = DeliveryWorker(repository, router, clock, RetryPolicy(jitter=0.0))
    with webhook_server(Reply(500), Reply(200)) as server:
        await repository.add(notification(target=server.url(), at=START))
        worker.enqueue("n1")
        await worker.drain()
        clock.advance(1.0)
        await worker.drain()
    await webhook.close()

    assert [r.headers["webhook-id"] for r in server.received] == ["n1", "n1"]
    for request in server.received:
        Webhook(NEW).verify(request.raw, request.headers)


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_in_seconds_is_read_from_429_and_503(status: int) -> None:
    with pytest.raises(DeliveryError) as raised:
        await delivered_with(replies=(Reply(status, {"Retry-After": "7"}),))

    assert raised.value.retry_after == 7.0
    assert raised.value.reason == f"webhook answered {status}"


async def test_retry_after_on_a_500_is_not_taken_as_a_request_for_time() -> None:
    with pytest.raises(DeliveryError) as raised:
        await delivered_with(replies=(Reply(500, {"Retry-After": "7"}),))

    assert raised.value.retry_after is None


def test_retry_after_as_an_http_date() -> None:
    now = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=datetime.UTC)

    assert retry_after("Mon, 30 Nov 2026 12:01:30 GMT", now) == 90.0
    assert retry_after("Mon, 30 Nov 2026 11:00:00 GMT", now) == 0.0
    assert retry_after("soon", now) is None
    assert retry_after("-5", now) is None
    assert retry_after(None, now) is None


async def test_the_worker_waits_as_long_as_a_503_receiver_asks() -> None:
    clock = FakeClock()
    repository = MemoryNotificationRepository(clock)
    webhook = WebhookChannel(ALLOWED)
    router = ChannelRouter(LogChannel(), webhook, None)
    worker = DeliveryWorker(repository, router, clock, RetryPolicy(jitter=0.0))
    with webhook_server(Reply(503, {"Retry-After": "120"}), Reply(200)) as server:
        await repository.add(notification(target=server.url(), at=START))
        worker.enqueue("n1")
        await worker.drain()
        clock.advance(119.0)
        await worker.drain()
        waiting = await repository.get("n1")
        clock.advance(1.0)
        await worker.drain()
    await webhook.close()

    assert waiting is not None and waiting.status is NotificationStatus.PENDING
    final = await repository.get("n1")
    assert final is not None and (final.status, final.attempts) == (NotificationStatus.SENT, 2)
    assert len(server.received) == 2
