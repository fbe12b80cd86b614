"""Redelivery: a failed notification goes back to pending, for its sender or an admin."""

import pytest

from application.notifications.delivery import RetryPolicy
from domain.errors import InvalidTransitionError, NotFoundError
from domain.notifications import NotificationStatus
from tests.support.notification_world import (
    ADMIN,
    ALICE,
    BOB,
    SERVICE,
    NotificationWorld,
    notification_world,
)

pytestmark = pytest.mark.anyio
POLICY = RetryPolicy(max_attempts=2, base_delay=1.0, max_age=1000.0)


async def failed_world() -> tuple[NotificationWorld, str]:
    world = notification_world(POLICY)
    world.channels.failures = 2
    notification_id = await world.sent()
    await world.worker.drain()
    world.clock.advance(1.0)
    await world.worker.drain()
    failed = await world.repository.get(notification_id)
    assert failed is not None and failed.status is NotificationStatus.FAILED
    return world, notification_id


async def test_the_sender_puts_a_failed_notification_back_and_it_is_delivered() -> None:
    world, notification_id = await failed_world()

    pending = await world.redeliver(SERVICE, notification_id)
    assert (pending.status, pending.attempts, pending.error) == (
        NotificationStatus.PENDING,
        0,
        None,
    )
    await world.worker.drain()

    sent = await world.repository.get(notification_id)
    assert sent is not None
    assert (sent.status, sent.attempts) == (NotificationStatus.SENT, 1)


async def test_an_admin_may_redeliver_anyones_notification() -> None:
    world, notification_id = await failed_world()

    pending = await world.redeliver(ADMIN, notification_id)

    assert pending.status is NotificationStatus.PENDING


@pytest.mark.parametrize("caller", [ALICE, BOB], ids=["recipient", "stranger"])
async def test_neither_the_recipient_nor_a_stranger_may_redeliver(caller: object) -> None:
    world, notification_id = await failed_world()

    with pytest.raises(NotFoundError):
        await world.redeliver(caller, notification_id)  # type: ignore[arg-type]
    still = await world.repository.get(notification_id)
    assert still is not None and still.status is NotificationStatus.FAILED


async def test_a_notification_that_did_not_fail_is_a_conflict() -> None:
    world = notification_world(POLICY)
    notification_id = await world.sent()

    with pytest.raises(InvalidTransitionError):
        await world.redeliver(SERVICE, notification_id)  # pending
    await world.worker.drain()
    with pytest.raises(InvalidTransitionError):
        await world.redeliver(SERVICE, notification_id)  # sent


async def test_a_redelivery_gets_a_fresh_maximum_age() -> None:
    world, notification_id = await failed_world()
    world.clock.advance(POLICY.max_age * 2)  # far past the first round's age

    await world.redeliver(SERVICE, notification_id)
    await world.worker.drain()

    sent = await world.repository.get(notification_id)
    assert sent is not None and sent.status is NotificationStatus.SENT


async def test_a_missing_notification_is_not_found() -> None:
    world = notification_world(POLICY)

    with pytest.raises(NotFoundError):
        await world.redeliver(ADMIN, "nope")
