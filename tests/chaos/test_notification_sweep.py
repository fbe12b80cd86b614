"""On a real Redis: two instances sweeping the same pending notification deliver it exactly
once; a send refused under fail_closed does not leave its Idempotency-Key claimed."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest

from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.failover.notifications import FailoverNotificationRepository
from adapters.memory.auth import MemoryUserDirectory
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.redis.notifications import RedisNotificationRepository
from adapters.system import RandomIds, SystemClock
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from application.notifications.send import SendNotification
from domain.errors import DependencyUnavailableError
from domain.notifications import Channel, Notification, NotificationStatus
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer
from tests.support.notification_world import SERVICE, SpyChannels
from tests.support.waiting import until

pytestmark = pytest.mark.anyio
SWEEP_AT_ONCE = RetryPolicy(sweep_grace=0.0)


@attrs.define
class GatedChannels(SpyChannels):
    gate: asyncio.Event = attrs.Factory(asyncio.Event)
    entered: asyncio.Event = attrs.Factory(asyncio.Event)

    async def deliver(self, notification: Notification) -> None:
        self.entered.set()
        await self.gate.wait()
        await super().deliver(notification)


def repository(
    link: RedisLink, redis: RedisNotificationRepository | None = None, fail_closed: bool = False
) -> FailoverNotificationRepository:
    return FailoverNotificationRepository(
        redis or RedisNotificationRepository(link.client),
        MemoryNotificationRepository(SystemClock()),
        Failover(link, "notifications", fail_closed=fail_closed, journal=link.journal),
    )


@asynccontextmanager
async def two_instances(url: str) -> AsyncIterator[tuple[RedisLink, RedisLink]]:
    """Two links to one Redis: as two processes would have, nothing shared but Redis."""
    async with started_link(url) as first, started_link(url) as second:
        yield first, second


async def left_pending(repo: FailoverNotificationRepository) -> str:
    """A notification accepted by a process that stopped before delivering it."""
    now = time.time()
    await repo.add(
        Notification(
            "n1", "alice", "billing", Channel.LOG, "s", "b", created_at=now, updated_at=now
        )
    )
    return "n1"


async def test_two_instances_sweeping_the_same_pending_notification_deliver_it_once(
    own_redis: RedisServer,
) -> None:
    async with two_instances(own_redis.url) as (link_a, link_b):
        repo_a, repo_b = repository(link_a), repository(link_b)
        notification_id = await left_pending(repo_a)
        channels_a, channels_b = GatedChannels(), SpyChannels()
        clock = SystemClock()
        worker_a = DeliveryWorker(repo_a, channels_a, clock, SWEEP_AT_ONCE)
        worker_b = DeliveryWorker(repo_b, channels_b, clock, SWEEP_AT_ONCE)
        assert await worker_a.sweep() == 1 and await worker_b.sweep() == 1

        in_flight = asyncio.create_task(worker_a.drain())
        await channels_a.entered.wait()
        await worker_b.drain()  # a holds the lease in Redis: b skips
        channels_a.gate.set()
        await in_flight
        await worker_b.sweep()
        await worker_b.drain()

        assert [n.id for n in channels_a.delivered] == [notification_id]
        assert channels_b.attempts == 0
        stored = await repo_b.get(notification_id)
        assert stored is not None and (stored.status, stored.attempts) == (
            NotificationStatus.SENT,
            1,
        )
        assert await repo_b.pending_before(time.time(), 10) == []


async def test_two_instances_racing_freely_still_deliver_once(own_redis: RedisServer) -> None:
    async with two_instances(own_redis.url) as (link_a, link_b):
        repo_a, repo_b = repository(link_a), repository(link_b)
        await left_pending(repo_a)
        channels = SpyChannels()  # one spy: the receiver, whoever delivers
        clock = SystemClock()
        workers = [DeliveryWorker(r, channels, clock, SWEEP_AT_ONCE) for r in (repo_a, repo_b)]

        for _ in range(3):
            await asyncio.gather(*(w.sweep() for w in workers))
            await asyncio.gather(*(w.drain() for w in workers))

        assert [n.id for n in channels.delivered] == ["n1"]


class DiesWhileStoring(RedisNotificationRepository):
    """Redis dies after the key was claimed and before the notification reaches it; the
    claim is in its snapshot, so the restarted server still has it (the stuck-key case)."""

    def __init__(self, client: Any, server: RedisServer) -> None:
        super().__init__(client)
        self.server = server
        self.armed = True

    async def put(self, n: Notification) -> None:
        if self.armed:
            self.armed = False
            await self._redis.save()
            self.server.kill()
        await super().put(n)


async def test_a_send_refused_under_fail_closed_frees_its_key_when_redis_returns(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        repo = repository(link, DiesWhileStoring(link.client, own_redis), fail_closed=True)
        clock = SystemClock()
        worker = DeliveryWorker(repo, SpyChannels(), clock)
        send = SendNotification(
            repo, SpyChannels(), worker, clock, RandomIds(), MemoryUserDirectory(clock)
        )

        async def send_with_key() -> Any:
            return await send(SERVICE, "alice", "log", "Hi", "text", idempotency_key="k1")

        with pytest.raises(DependencyUnavailableError):
            await send_with_key()
        own_redis.start()  # loads the snapshot: the key is claimed, no notification
        assert await until(lambda: link.is_up)
        assert len(link.journal) == 0  # the release was replayed

        retried = await send_with_key()
        repeated = await send_with_key()

        assert retried.created and not repeated.created
        assert repeated.notification.id == retried.notification.id
        client: Any = client_for(own_redis.url, timeout=2.0)
        try:
            holder = await RedisNotificationRepository(client).claim_idempotency_key(
                "billing", "k1", "other", 60
            )
        finally:
            await client.aclose()
        assert holder == retried.notification.id
