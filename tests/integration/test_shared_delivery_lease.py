"""Two instances on one Redis: while one instance's attempt is live (a receiver that drips
for longer than the lease), the other never sends the same webhook-id again, and both go on
delivering everything else."""

import asyncio
from typing import Any

import pytest

from adapters.channels.log import LogChannel
from adapters.channels.router import ChannelRouter
from adapters.channels.webhook import WebhookChannel
from adapters.redis.notifications import RedisNotificationRepository
from adapters.system import SystemClock
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from domain.notifications import Channel, NotificationStatus
from tests.redis_fixtures import client_for
from tests.redis_server import RedisServer
from tests.support.notifications import notification
from tests.support.waiting import until
from tests.webhook_server import ALLOWED, Reply, webhook_server

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

# An attempt may last three leases: only renewal keeps it from being taken over.
POLICY = RetryPolicy(lease=0.6, sweep_grace=0.0)
DEADLINE = 3 * POLICY.lease


async def test_a_live_attempt_is_not_taken_over_by_another_instance(
    empty_redis: RedisServer,
) -> None:
    clients: list[Any] = [client_for(empty_redis.url, timeout=2.0) for _ in range(2)]
    clock = SystemClock()
    webhooks = [WebhookChannel(ALLOWED, deadline=DEADLINE) for _ in range(2)]
    first, second = (
        DeliveryWorker(
            RedisNotificationRepository(client),
            ChannelRouter(LogChannel(), webhook, None),
            clock,
            POLICY,
        )
        for client, webhook in zip(clients, webhooks, strict=True)
    )
    with webhook_server(Reply(drip=0.05)) as receiver:
        slow = notification("slow", at=clock.now(), target=receiver.url())
        await first.repository.add(slow)
        first.enqueue(slow.id)
        running = asyncio.create_task(first.run())
        assert await until(lambda: receiver.live == 1, within=20.0)

        await second.repository.add(
            notification(
                "log1",
                at=clock.now(),
                recipient="bob",
                channel=Channel.LOG,
                target=None,
                metadata={},
            )
        )
        sweeps = 0
        while receiver.live:  # the first instance's attempt, until its deadline
            await second.sweep()  # finds both: "slow" is pending and untouched
            await second.drain()
            sweeps += 1
            await asyncio.sleep(POLICY.lease / 4)

        first.stop()
        await running
        stored = await second.repository.get(slow.id)
        logged = await second.repository.get("log1")
    for webhook in webhooks:
        await webhook.close()
    for client in clients:
        await client.aclose()

    assert sweeps > 4  # the second instance looked while more than one lease went by
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["x-ballast-notification-id"] == "slow"
    assert stored is not None and stored.attempts == 1
    assert stored.error == f"webhook timed out ({DEADLINE:g} s)"
    assert logged is not None and logged.status is NotificationStatus.SENT
