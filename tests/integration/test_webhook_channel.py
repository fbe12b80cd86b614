"""The webhook channel against a local receiver: delivered, retried, timed out, refused."""

import ipaddress

import pytest

from adapters.channels.log import LogChannel
from adapters.channels.router import ChannelRouter
from adapters.channels.webhook import WebhookChannel
from adapters.memory.notifications import MemoryNotificationRepository
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from domain.errors import DeliveryError
from domain.notifications import NotificationStatus
from domain.webhook_targets import Address
from tests.fakes import START, FakeClock
from tests.support.notifications import notification
from tests.webhook_server import ALLOWED, Reply, webhook_server

pytestmark = pytest.mark.anyio


async def loopback(host: str, port: int) -> list[Address]:
    """Every name is this machine (as `localhost` is), whatever the system's resolver says."""
    return [ipaddress.ip_address("127.0.0.1")]


async def test_a_standard_webhooks_event_is_posted_to_the_target() -> None:
    channel = WebhookChannel(ALLOWED)
    with webhook_server(Reply(204)) as server:
        sent = notification(target=server.url(), at=START)
        await channel.deliver(sent)
    await channel.close()

    [request] = server.received
    assert request.path == "/hook"
    assert request.body == {
        "type": "notification.created",
        "timestamp": "2027-01-15T08:00:00.000Z",
        "data": {
            "id": "n1",
            "recipient": "alice",
            "subject": sent.subject,
            "body": sent.body,
            "metadata": sent.metadata,
            "created_at": "2027-01-15T08:00:00.000Z",
        },
    }
    assert request.headers["x-ballast-notification-id"] == "n1"
    assert request.headers["content-type"] == "application/json"


async def test_a_500_is_retried_by_the_worker_and_then_sent() -> None:
    clock = FakeClock()
    repository = MemoryNotificationRepository(clock)
    webhook = WebhookChannel(ALLOWED)
    worker = DeliveryWorker(
        repository, ChannelRouter(LogChannel(), webhook, None), clock, RetryPolicy(base_delay=3)
    )
    with webhook_server(Reply(500), Reply(200)) as server:
        await repository.add(notification(target=server.url(), at=START))
        worker.enqueue("n1")

        await worker.drain()
        first = await repository.get("n1")
        clock.advance(3)
        await worker.drain()
        final = await repository.get("n1")
    await webhook.close()

    assert first is not None and (first.status, first.attempts) == (NotificationStatus.PENDING, 1)
    assert first.error == "webhook answered 500"
    assert final is not None and (final.status, final.attempts) == (NotificationStatus.SENT, 2)
    assert len(server.received) == 2


async def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt() -> None:
    channel = WebhookChannel(ALLOWED, deadline=0.2)
    with (
        webhook_server(Reply(200, delay=1.0)) as server,
        pytest.raises(DeliveryError, match="timed out"),
    ):
        await channel.deliver(notification(target=server.url(), at=START))
    await channel.close()


async def test_a_host_not_allowed_is_refused_and_never_contacted() -> None:
    channel = WebhookChannel(("hooks.example.com",))
    with webhook_server() as server:
        target = server.url()
        assert channel.refusal(target) is not None
        with pytest.raises(DeliveryError, match="refused"):
            await channel.deliver(notification(target=target, at=START))
    await channel.close()
    assert server.received == []


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/x", "not a url", "http:///nohost"])
def test_only_http_urls_with_a_host_are_accepted(target: str) -> None:
    assert WebhookChannel(ALLOWED).refusal(target) is not None


async def test_a_redirect_to_another_host_is_refused_and_not_followed() -> None:
    channel = WebhookChannel(("127.0.0.1", "localhost"), resolver=loopback)
    with webhook_server(Reply(200)) as elsewhere:
        away = Reply(307, {"Location": elsewhere.url(host="localhost")})
        with (
            webhook_server(away) as server,
            pytest.raises(DeliveryError, match="redirect refused"),
        ):
            await channel.deliver(notification(target=server.url(), at=START))
    await channel.close()
    assert len(server.received) == 1
    assert elsewhere.received == []


async def test_a_redirect_on_the_same_host_is_followed_with_the_body() -> None:
    channel = WebhookChannel(ALLOWED)
    with webhook_server(Reply(308, {"Location": "/moved"}), Reply(200)) as server:
        sent = notification(target=server.url(), at=START)
        await channel.deliver(sent)
    await channel.close()
    assert [r.path for r in server.received] == ["/hook", "/moved"]
    assert server.received[1].raw == server.received[0].raw


async def test_an_unreachable_receiver_is_a_failed_attempt() -> None:
    channel = WebhookChannel(ALLOWED, deadline=1.0)
    with webhook_server() as server:
        target = server.url()
    # The error is shown to API readers: it speaks of the delivery, not of httpx's classes.
    with pytest.raises(DeliveryError, match=r"^webhook unreachable: the connection failed$"):
        await channel.deliver(notification(target=target, at=START))
    await channel.close()
