"""Paging the auth event log across an outage: a cursor of one store given to the other
starts the walk again from the newest event the answering store holds, never read as a
place in a log it does not describe (which could skip events)."""

import pytest

from adapters.failover.auth import FailoverAuthEventLog
from adapters.failover.core import Failover
from adapters.memory.auth import MemoryAuthEventLog
from adapters.redis.events import RedisAuthEventLog
from domain.events import AuthEvent, AuthEventType
from tests.redis_fixtures import started_link
from tests.redis_server import RedisServer

pytestmark = pytest.mark.anyio


def _event(i: int) -> AuthEvent:
    return AuthEvent(f"ev{i}", AuthEventType.LOGOUT, f"user{i}", 1.8e9 + i, "c")


async def test_a_redis_cursor_starts_again_in_memory_during_an_outage(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        log = FailoverAuthEventLog(
            RedisAuthEventLog(link.client),
            MemoryAuthEventLog(),
            Failover(link, "events", journal=link.journal),
        )
        for i in range(3):
            await log.record(_event(i))
        redis_page = await log.page(2)
        assert [e.id for e in redis_page.items] == ["ev2", "ev1"]
        assert redis_page.next_cursor is not None

        own_redis.kill()
        for i in range(3, 6):
            await log.record(_event(i))  # memory's, while Redis is away
        first = await log.page(2, redis_page.next_cursor)
        rest = await log.page(2, first.next_cursor)
        assert [e.id for e in first.items + rest.items] == ["ev5", "ev4", "ev3"]
        assert rest.next_cursor is None
        assert link.counters.fallback_ops["events"] >= 3
