"""Delivery: bounded retries with exponential backoff, then failed with the reason."""

import pytest

from application.notifications.delivery import RetryPolicy
from domain.notifications import NotificationStatus
from tests.unit.notification_world import notification_world

POLICY = RetryPolicy(max_attempts=4, base_delay=2.0, max_delay=5.0)


def test_backoff_doubles_and_is_capped() -> None:
    assert [POLICY.delay(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 5.0, 5.0]


@pytest.mark.anyio
async def test_a_failed_attempt_is_retried_after_the_backoff_and_then_sent() -> None:
    world = notification_world(POLICY)
    world.channels.failures = 1
    notification_id = await world.sent()

    await world.worker.drain()
    after_first = await world.repository.get(notification_id)
    assert after_first is not None
    assert (after_first.status, after_first.attempts) == (NotificationStatus.PENDING, 1)
    assert after_first.error == "webhook answered 500"

    world.clock.advance(1.9)
    assert await world.worker.drain() == 0  # not due yet
    world.clock.advance(0.1)
    await world.worker.drain()

    sent = await world.repository.get(notification_id)
    assert sent is not None
    assert (sent.status, sent.attempts, sent.error) == (NotificationStatus.SENT, 2, None)
    assert len(world.channels.delivered) == 1


@pytest.mark.anyio
async def test_delivery_that_keeps_failing_ends_failed_with_the_reason() -> None:
    world = notification_world(POLICY)
    world.channels.failures = 100
    world.channels.reason = "webhook timed out"
    notification_id = await world.sent()

    for _ in range(10):
        await world.worker.drain()
        world.clock.advance(POLICY.max_delay)

    failed = await world.repository.get(notification_id)
    assert failed is not None
    assert (failed.status, failed.attempts) == (NotificationStatus.FAILED, POLICY.max_attempts)
    assert failed.error == "webhook timed out"
    assert world.channels.attempts == POLICY.max_attempts
    assert len(world.worker) == 0


@pytest.mark.anyio
async def test_a_notification_is_delivered_once_even_if_queued_twice() -> None:
    world = notification_world(POLICY)
    notification_id = await world.sent()
    world.worker.enqueue(notification_id)

    await world.worker.drain()
    world.worker.enqueue(notification_id)
    await world.worker.drain()

    assert len(world.channels.delivered) == 1


@pytest.mark.anyio
async def test_every_attempt_is_reported_with_its_outcome() -> None:
    world = notification_world(RetryPolicy(max_attempts=2, base_delay=1.0))
    seen: list[tuple[str, str]] = []
    world.worker.on_attempt = lambda channel, outcome: seen.append((channel, outcome))
    world.channels.failures = 3
    await world.sent()
    await world.sent()

    for _ in range(3):
        await world.worker.drain()
        world.clock.advance(1.0)

    assert sorted(seen) == [("log", "failed"), ("log", "retry"), ("log", "retry"), ("log", "sent")]
