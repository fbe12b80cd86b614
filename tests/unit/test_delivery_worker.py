"""Delivery: bounded retries with exponential backoff, then failed with the reason."""

import pytest

from application.notifications.delivery import DeliveryWorker, RetryPolicy
from domain.notifications import NotificationStatus
from tests.support.notification_world import notification_world

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


def test_jitter_takes_up_to_half_of_the_backoff_away() -> None:
    assert POLICY.delay(1, draw=0.0) == 2.0
    assert POLICY.delay(1, draw=0.5) == 1.5
    assert 1.0 < POLICY.delay(1, draw=0.999) < 1.01
    assert RetryPolicy(jitter=0.0).delay(3, draw=0.9) == 4.0


@pytest.mark.anyio
async def test_the_worker_waits_the_jittered_backoff() -> None:
    world = notification_world(POLICY)
    world.worker.draw = lambda: 0.5
    world.channels.failures = 1
    await world.sent()

    await world.worker.drain()
    world.clock.advance(1.49)
    assert await world.worker.drain() == 0
    world.clock.advance(0.01)
    await world.worker.drain()

    assert len(world.channels.delivered) == 1


@pytest.mark.anyio
async def test_a_receivers_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    world = notification_world(POLICY)
    world.channels.failures = 1
    world.channels.retry_after = 30.0
    notification_id = await world.sent()

    await world.worker.drain()
    waiting = await world.repository.get(notification_id)
    assert waiting is not None
    assert waiting.due_at == world.clock.now() + 30.0
    world.clock.advance(29.9)
    assert await world.worker.drain() == 0
    world.clock.advance(0.1)
    await world.worker.drain()

    assert len(world.channels.delivered) == 1


@pytest.mark.anyio
async def test_a_shorter_retry_after_does_not_shorten_the_backoff() -> None:
    world = notification_world(POLICY)
    world.channels.failures = 1
    world.channels.retry_after = 0.5
    notification_id = await world.sent()

    await world.worker.drain()

    waiting = await world.repository.get(notification_id)
    assert waiting is not None
    assert waiting.due_at == world.clock.now() + POLICY.delay(1)


@pytest.mark.anyio
async def test_another_process_sweeping_respects_the_retry_after() -> None:
    world = notification_world(POLICY)
    world.channels.failures = 1
    world.channels.retry_after = 300.0
    await world.sent()
    await world.worker.drain()
    other = DeliveryWorker(world.repository, world.channels, world.clock, POLICY)

    world.clock.advance(POLICY.sweep_grace + 1)
    assert await other.sweep() == 0  # untouched for long, but not yet due
    world.clock.advance(300.0)
    assert await other.sweep() == 1


@pytest.mark.anyio
async def test_a_job_queued_before_its_due_time_waits_for_it() -> None:
    world = notification_world(POLICY)
    world.channels.failures = 1
    world.channels.retry_after = 60.0
    notification_id = await world.sent()
    await world.worker.drain()

    world.worker.enqueue(notification_id)  # e.g. a sweep of another process, too early
    await world.worker.drain()

    assert world.channels.attempts == 1
    assert world.worker.next_due() == world.clock.now() + 60.0


@pytest.mark.anyio
async def test_retries_stop_at_the_maximum_age_with_the_last_error() -> None:
    world = notification_world(RetryPolicy(max_attempts=10, max_age=100.0))
    world.channels.failures = 100
    world.channels.retry_after = 60.0
    world.channels.reason = "webhook answered 503"
    notification_id = await world.sent()

    await world.worker.drain()  # t=0: fails, due at 60
    world.clock.advance(60.0)
    await world.worker.drain()  # t=60: fails; the next try (120) would be past the age

    failed = await world.repository.get(notification_id)
    assert failed is not None
    assert (failed.status, failed.attempts) == (NotificationStatus.FAILED, 2)
    assert failed.error == "webhook answered 503"
    assert len(world.worker) == 0


@pytest.mark.anyio
async def test_a_notification_found_past_its_maximum_age_fails_without_an_attempt() -> None:
    world = notification_world(RetryPolicy(max_age=100.0))
    notification_id = await world.sent()  # by a process that stopped before delivering
    world.clock.advance(101.0)
    other = DeliveryWorker(
        world.repository, world.channels, world.clock, RetryPolicy(max_age=100.0)
    )

    await other.sweep()
    await other.drain()

    failed = await world.repository.get(notification_id)
    assert failed is not None
    assert failed.status is NotificationStatus.FAILED
    assert failed.error == "not delivered within 100 s"
    assert world.channels.attempts == 0
