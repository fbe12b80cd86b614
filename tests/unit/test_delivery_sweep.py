"""Deliveries a stopped process left behind: found again by a sweep, delivered exactly once,
never by two workers at the same time; a graceful stop lets deliveries in flight finish."""

import asyncio

import attrs
import pytest

from application.notifications.delivery import DeliveryWorker, RetryPolicy
from domain.notifications import Notification, NotificationStatus
from tests.support.notification_world import SpyChannels, notification_world

pytestmark = pytest.mark.anyio
POLICY = RetryPolicy()


@attrs.define
class GatedChannels(SpyChannels):
    """Holds every delivery until `gate` opens; `entered` says one is in flight."""

    gate: asyncio.Event = attrs.Factory(asyncio.Event)
    entered: asyncio.Event = attrs.Factory(asyncio.Event)

    async def deliver(self, notification: Notification) -> None:
        self.entered.set()
        await self.gate.wait()
        await super().deliver(notification)


async def test_after_a_restart_a_pending_notification_is_swept_and_delivered_exactly_once() -> None:
    world = notification_world()
    notification_id = await world.sent()  # queued in the first worker, which then "crashes"
    channels = SpyChannels()
    restarted = DeliveryWorker(world.repository, channels, world.clock, POLICY)

    assert await restarted.sweep() == 0  # too fresh: its own worker may still be on it
    world.clock.advance(POLICY.sweep_grace)
    assert await restarted.sweep() == 1
    assert await restarted.drain() == 1

    stored = await world.repository.get(notification_id)
    assert stored is not None and (stored.status, stored.attempts) == (NotificationStatus.SENT, 1)
    world.clock.advance(POLICY.sweep_grace * 10)
    assert await restarted.sweep() == 0
    await restarted.drain()
    assert [n.id for n in channels.delivered] == [notification_id]


async def test_a_retry_left_behind_is_swept_with_its_attempts_counted() -> None:
    world = notification_world()
    world.channels.failures = 1
    notification_id = await world.sent()
    await world.worker.drain()  # attempt 1 fails; the retry is queued, then the process stops

    restarted = DeliveryWorker(world.repository, world.channels, world.clock, POLICY)
    # The sweep takes it once the retry has been due for the grace period.
    world.clock.advance(POLICY.delay(1) + POLICY.sweep_grace)
    await restarted.sweep()
    await restarted.drain()

    stored = await world.repository.get(notification_id)
    assert stored is not None and (stored.status, stored.attempts) == (NotificationStatus.SENT, 2)
    assert world.channels.attempts == 2


async def test_two_workers_sweeping_the_same_notification_deliver_it_once() -> None:
    world = notification_world()
    notification_id = await world.sent()
    world.clock.advance(POLICY.sweep_grace)
    first_channels, second_channels = GatedChannels(), SpyChannels()
    first = DeliveryWorker(world.repository, first_channels, world.clock, POLICY)
    second = DeliveryWorker(world.repository, second_channels, world.clock, POLICY)
    assert await first.sweep() == 1 and await second.sweep() == 1

    in_flight = asyncio.create_task(first.drain())
    await first_channels.entered.wait()
    await second.drain()  # the first holds the lease: the second skips it
    first_channels.gate.set()
    await in_flight
    await second.sweep()
    await second.drain()  # sent by now: nothing left to deliver

    assert [n.id for n in first_channels.delivered] == [notification_id]
    assert second_channels.attempts == 0


async def test_a_lease_left_by_a_dead_worker_holds_the_delivery_until_it_expires() -> None:
    world = notification_world()
    notification_id = await world.sent()
    assert await world.repository.claim_delivery(notification_id, "dead-worker", POLICY.lease)
    world.clock.advance(POLICY.sweep_grace)
    channels = SpyChannels()
    survivor = DeliveryWorker(world.repository, channels, world.clock, POLICY)

    await survivor.sweep()
    await survivor.drain()
    assert channels.attempts == 0

    world.clock.advance(POLICY.lease)
    await survivor.sweep()
    await survivor.drain()
    assert [n.id for n in channels.delivered] == [notification_id]


async def test_a_notification_queued_here_is_not_swept_a_second_time() -> None:
    world = notification_world(RetryPolicy(sweep_grace=0.0))
    await world.sent()
    assert await world.worker.sweep() == 0  # already in this worker's queue
    await world.worker.drain()
    assert await world.worker.sweep() == 0  # sent: no longer pending
    assert world.channels.attempts == 1


async def test_a_graceful_stop_finishes_the_delivery_in_flight_and_leaves_the_rest_pending() -> (
    None
):
    world = notification_world()
    channels = GatedChannels()
    worker = DeliveryWorker(world.repository, channels, world.clock, POLICY)
    world.send.worker = worker
    in_flight_id = await world.sent()
    running = asyncio.create_task(worker.run())
    await channels.entered.wait()
    later_id = await world.sent(subject="queued after the one in flight")

    worker.stop()
    channels.gate.set()
    await running  # returns once the delivery in flight is done, without starting another

    assert [n.id for n in channels.delivered] == [in_flight_id]
    later = await world.repository.get(later_id)
    assert later is not None and later.status is NotificationStatus.PENDING
    world.clock.advance(POLICY.sweep_grace)
    assert await world.repository.pending_before(world.clock.now(), 10) == [later_id]
