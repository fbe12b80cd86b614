"""The RateLimiter contract, run against the memory, Redis and failover adapters.

Quotas are per hour, so the real time that passes during a test changes nothing.
"""

import asyncio
from typing import Any

import pytest

from adapters.memory.rate_limits import MemoryRateLimiter
from adapters.redis.rate_limits import RedisRateLimiter
from adapters.system import SystemClock
from domain.rate_limits import Quota
from tests.contract.backends import Backend
from tests.support.rate_limits import failover_limiter

pytestmark = pytest.mark.anyio
HOURLY = Quota(3, 3600)


@pytest.fixture
def limiter(backend: Backend) -> Any:
    return backend.pick(
        memory=lambda: MemoryRateLimiter(SystemClock()),
        redis=RedisRateLimiter,
        failover=failover_limiter,
    )


async def test_remaining_counts_down_exactly(limiter: Any) -> None:
    decisions = [await limiter.hit("client", HOURLY) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.limit == 3 for d in decisions)
    # Each request adds one interval (20 min) until the whole quota is back.
    assert [round(d.reset_after) for d in decisions] == [1200, 2400, 3600]


async def test_over_the_limit_is_refused_with_the_wait(limiter: Any) -> None:
    for _ in range(3):
        await limiter.hit("client", HOURLY)
    refused = await limiter.hit("client", HOURLY)
    assert not refused.allowed
    assert refused.remaining == 0
    assert 1190 < refused.retry_after <= 1200


async def test_refused_requests_are_not_counted(limiter: Any) -> None:
    for _ in range(10):
        await limiter.hit("client", HOURLY)
    refused = await limiter.hit("client", HOURLY)
    assert 1190 < refused.retry_after <= 1200
    assert round(refused.reset_after) == 3600


async def test_keys_are_independent(limiter: Any) -> None:
    for _ in range(3):
        await limiter.hit("a", HOURLY)
    assert not (await limiter.hit("a", HOURLY)).allowed
    fresh = await limiter.hit("b", HOURLY)
    assert fresh.allowed and fresh.remaining == 2


async def test_short_periods_refill(limiter: Any) -> None:
    quota = Quota(1, 0.2)
    assert (await limiter.hit("fast", quota)).allowed
    assert not (await limiter.hit("fast", quota)).allowed
    await asyncio.sleep(0.25)
    assert (await limiter.hit("fast", quota)).allowed


async def test_simultaneous_requests_never_exceed_the_limit(backend: Backend, limiter: Any) -> None:
    quota = Quota(10, 3600)
    decisions = await asyncio.gather(*(limiter.hit("crowd", quota) for _ in range(60)))
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))
