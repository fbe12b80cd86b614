"""The failover rate cache while its Redis is killed: it keeps answering from memory."""

import contextlib
from typing import Any

import pytest
from redis.exceptions import ConnectionError

from adapters.failover.core import Failover
from adapters.failover.rates import FailoverRateCache
from adapters.memory.rates import MemoryRateCache
from adapters.redis import keys
from adapters.redis.rates import RedisRateCache
from adapters.system import SystemClock
from tests.currency_fakes import table
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer

pytestmark = pytest.mark.anyio


async def test_the_last_table_put_is_served_from_memory_while_redis_is_dead(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        failover = Failover(link, "rates", fail_closed=False, journal=None)
        cache = FailoverRateCache(
            RedisRateCache(link.client), MemoryRateCache(SystemClock()), failover
        )
        before = table(fetched_at=1.0)
        await cache.put(before, ttl=60)
        own_redis.kill()
        assert await cache.get() == before
        during = table({"USD": "1.07"}, fetched_at=2.0)
        await cache.put(during, ttl=60)
        assert await cache.get() == during
        assert link.counters.fallback_ops["rates"] >= 2


async def test_a_table_put_reaches_redis_for_other_instances(redis_server: RedisServer) -> None:
    client = client_for(redis_server.url, timeout=2.0)
    await client.flushall()  # type: ignore[attr-defined]
    async with started_link(redis_server.url) as link:
        failover = Failover(link, "rates", fail_closed=False, journal=None)
        writer = FailoverRateCache(
            RedisRateCache(link.client), MemoryRateCache(SystemClock()), failover
        )
        reader = FailoverRateCache(
            RedisRateCache(link.client), MemoryRateCache(SystemClock()), failover
        )
        await writer.put(table(fetched_at=5.0), ttl=60)
        got = await reader.get()
        assert got is not None and got.fetched_at == 5.0
    await client.aclose()  # type: ignore[attr-defined]


async def test_restore_gives_a_redis_that_came_back_empty_the_last_table(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        failover = Failover(link, "rates", fail_closed=False, journal=None)
        redis = RedisRateCache(link.client)
        cache = FailoverRateCache(redis, MemoryRateCache(SystemClock()), failover)
        await cache.put(table(fetched_at=7.0), ttl=600)
        own_redis.restart()
        checker: Any = client_for(own_redis.url, timeout=2.0)
        assert await checker.exists(keys.RATES) == 0
        # Recovery hooks run after the link's probe reached Redis again; reach it the same way.
        with contextlib.suppress(ConnectionError):
            await link.client.ping()
        await cache.restore()
        restored = await RedisRateCache(checker).get()
        assert restored is not None and restored.fetched_at == 7.0
        assert 0 < await checker.ttl(keys.RATES) <= 600
        await checker.aclose()
