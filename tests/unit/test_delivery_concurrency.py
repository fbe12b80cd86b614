"""The worker's bounds, at their limits: at most `concurrency` attempts at once, at most
`per_destination` to one receiver, the others parked without a place, and nobody waiting for
a batch's slowest member."""

import asyncio

import attrs
import pytest

from domain.notifications import Notification
from tests.support.notification_world import SERVICE, SpyChannels, notification_world

pytestmark = pytest.mark.anyio


@attrs.define
class HeldChannels(SpyChannels):
    """Every delivery waits until the test lets it go; counts those under way."""

    release: asyncio.Event = attrs.Factory(asyncio.Event)
    under_way: list[str] = attrs.Factory(list)
    peak: int = 0

    async def deliver(self, notification: Notification) -> None:
        self.under_way.append(notification.target or "log")
        self.peak = max(self.peak, len(self.under_way))
        try:
            await self.release.wait()
        finally:
            self.under_way.remove(notification.target or "log")
        await super().deliver(notification)


async def settle() -> None:
    """Lets every task that can run, run (no time passes on the fake clock)."""
    for _ in range(50):
        await asyncio.sleep(0)


async def test_no_more_than_the_total_bound_of_attempts_run_at_once() -> None:
    world = notification_world()
    world.channels = channels = HeldChannels()
    world.worker.channels = channels
    world.worker.concurrency = 16
    for i in range(20):
        await world.sent(subject=f"s{i}")
    running = asyncio.create_task(world.worker.run())
    await settle()

    assert len(channels.under_way) == 16
    channels.release.set()
    await settle()
    world.worker.stop()
    await running

    assert channels.peak == 16
    assert len(channels.delivered) == 20


async def test_one_receiver_takes_its_share_and_the_others_are_not_held_back() -> None:
    world = notification_world()
    world.channels = channels = HeldChannels()
    world.worker.channels = channels
    world.worker.per_destination = 2
    slow, other = "https://hooks.example.com/slow", "https://hooks.example.com:8443/other"
    for i in range(5):
        await world.send(SERVICE, "alice", "webhook", f"s{i}", "b", target=slow)
    await world.send(SERVICE, "alice", "webhook", "o", "b", target=other)
    running = asyncio.create_task(world.worker.run())
    await settle()

    assert sorted(channels.under_way) == sorted([other, slow, slow])
    assert len(world.worker) == 3  # parked until the receiver has room, in no slot
    channels.release.set()
    await settle()
    world.worker.stop()
    await running

    assert channels.peak == 3
    assert len(channels.delivered) == 6
    assert len(world.worker) == 0
