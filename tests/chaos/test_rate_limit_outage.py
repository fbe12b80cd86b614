"""Rate limits through a Redis outage: each instance enforces its share, not the whole limit."""

import asyncio

import pytest

from adapters.redis.keys import INSTANCES, rate_limit
from adapters.redis.rate_limits import RedisInstanceCensus
from domain.rate_limits import Quota
from tests.redis_fixtures import started_link
from tests.redis_server import RedisServer
from tests.support.rate_limits import failover_parts

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def test_two_instances_on_fallback_allow_the_limit_not_twice_it(
    own_redis: RedisServer,
) -> None:
    quota = Quota(10, 3600)
    async with started_link(own_redis.url) as link_a, started_link(own_redis.url) as link_b:
        a, count_a = failover_parts(link_a, "instance-a")
        b, count_b = failover_parts(link_b, "instance-b")
        await count_a.beat()
        await count_b.beat()
        await count_a.beat()
        assert (count_a.instances, count_b.instances) == (2, 2)

        own_redis.kill()
        allowed_a = sum([(await a.hit("client", quota)).allowed for _ in range(20)])
        allowed_b = sum([(await b.hit("client", quota)).allowed for _ in range(20)])
        assert (allowed_a, allowed_b) == (5, 5)
        assert not link_a.is_up and link_a.counters.fallback_ops["rate_limits"] > 0
        # While Redis is away the last known count stays.
        await count_a.beat()
        assert count_a.instances == 2


async def test_a_lone_instance_keeps_the_whole_limit_on_fallback(own_redis: RedisServer) -> None:
    async with started_link(own_redis.url) as link:
        limiter, count = failover_parts(link, "alone")
        await count.beat()
        own_redis.kill()
        decisions = [await limiter.hit("client", Quota(4, 3600)) for _ in range(6)]
        assert [d.allowed for d in decisions] == [True] * 4 + [False] * 2


async def test_limits_are_shared_again_once_redis_is_back(own_redis: RedisServer) -> None:
    async with started_link(own_redis.url) as link:
        limiter, count = failover_parts(link, "back")
        await count.beat()
        own_redis.kill()
        assert (await limiter.hit("client", Quota(5, 3600))).allowed
        own_redis.start()
        for _ in range(500):
            if link.is_up:
                break
            await asyncio.sleep(0.02)
        assert link.is_up
        decision = await limiter.hit("client", Quota(5, 3600))
        # Counted in Redis, which came back empty: the outage's counter is not replayed.
        assert decision.allowed and decision.remaining == 4
        assert await link.client.exists(rate_limit("client")) == 1
        await count.leave()


async def test_silent_instances_stop_counting(own_redis: RedisServer) -> None:
    async with started_link(own_redis.url) as link:
        gone = RedisInstanceCensus(link.client, "gone", ttl=0.05)
        assert await gone.beat() == 1
        here = RedisInstanceCensus(link.client, "here", ttl=0.05)
        await asyncio.sleep(0.1)
        assert await here.beat() == 1
        await here.leave()
        assert await link.client.zcard(INSTANCES) == 0
