"""The failover notification repository through a Redis outage: writes go to memory and
the journal, reads find them, and the replay puts their latest state into Redis."""

from typing import Any

import attrs
import pytest

from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.failover.notifications import FailoverNotificationRepository
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.redis.notifications import RedisNotificationRepository
from adapters.system import SystemClock
from domain.errors import DependencyUnavailableError
from domain.notifications import NotificationStatus
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer
from tests.support.notifications import notification
from tests.support.waiting import until

pytestmark = pytest.mark.anyio


def repository(link: RedisLink, fail_closed: bool = False) -> FailoverNotificationRepository:
    return FailoverNotificationRepository(
        RedisNotificationRepository(link.client),
        MemoryNotificationRepository(SystemClock()),
        Failover(link, "notifications", fail_closed=fail_closed, journal=link.journal),
    )


async def test_a_notification_written_during_an_outage_reaches_redis_with_its_delivery_state(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        repo = repository(link)
        before = notification("before")
        await repo.add(before)
        own_redis.kill()

        during = notification("during")
        await repo.add(during)
        await repo.claim_idempotency_key("billing", "k1", "during", 60)
        assert await repo.get("during") == during
        assert await repo.get("before") == before  # mirrored when it was written
        sent = attrs.evolve(during, status=NotificationStatus.SENT, attempts=1)
        await repo.update(sent)
        listed = await repo.list_for_recipient("alice", None, 10, None)
        assert {n.id for n in listed.items} == {"before", "during"}
        assert len(link.journal) == 3  # add, claim, update: all journaled

        own_redis.restart()  # empty, as a Redis without persistence comes back
        assert await until(lambda: link.is_up)

        client: Any = client_for(own_redis.url, timeout=2.0)
        fresh = RedisNotificationRepository(client)
        try:
            assert await fresh.get("during") == sent
            assert await fresh.claim_idempotency_key("billing", "k1", "other", 60) == "during"
        finally:
            await client.aclose()
        assert len(link.journal) == 0


async def test_under_fail_closed_a_write_during_an_outage_is_refused(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        repo = repository(link, fail_closed=True)
        own_redis.kill()
        with pytest.raises(DependencyUnavailableError):
            await repo.add(notification("n1"))
        with pytest.raises(DependencyUnavailableError):
            await repo.get("n1")
        assert len(link.journal) == 0
