"""The rate limiters over a real link, as the composition root builds them: the exact one
(login limit) and the synced one (default limit), and what the synced one holds per client."""

import gc
import tracemalloc

from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.failover.rate_limits import FailoverRateLimiter, InstanceCount, SyncedRateLimiter
from adapters.memory.rate_limits import MemoryRateLimiter
from adapters.redis.rate_limits import RedisInstanceCensus, RedisRateLimiter
from adapters.system import SystemClock
from domain.ports import Clock
from domain.rate_limits import Quota
from tests.fakes import FakeClock


def failover_limiter(link: RedisLink, instance: str = "i1") -> FailoverRateLimiter:
    return failover_parts(link, instance)[0]


def failover_parts(link: RedisLink, instance: str) -> tuple[FailoverRateLimiter, InstanceCount]:
    """The limiter and the heartbeat whose instance count sizes its share in an outage."""
    failover = Failover(link, "rate_limits")
    census = RedisInstanceCensus(link.client, instance, ttl=60)
    instances = InstanceCount(census, failover)
    limiter = FailoverRateLimiter(
        RedisRateLimiter(link.client), MemoryRateLimiter(SystemClock()), failover, instances
    )
    return limiter, instances


def synced_parts(
    link: RedisLink, instance: str, clock: Clock | None = None, max_keys: int = 100_000
) -> tuple[SyncedRateLimiter, InstanceCount]:
    """The in-process limiter and its instance count (1 until a heartbeat says more)."""
    clock = clock or SystemClock()
    failover = Failover(link, "rate_limits")
    instances = InstanceCount(RedisInstanceCensus(link.client, instance, ttl=60), failover)
    limiter = SyncedRateLimiter(
        RedisRateLimiter(link.client),
        MemoryRateLimiter(clock, max_keys),
        failover,
        instances,
        clock,
        max_keys,
    )
    return limiter, instances


class StoppedClock(FakeClock):
    """Time stands still, yet each reading is its own float, as the system clock's are."""

    def now(self) -> float:
        return self.current + 0.0


def address_key(i: int) -> str:
    """The default limit's key of the i-th client address, as the middleware makes it."""
    return f"addr:10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"


async def bytes_per_client(link: RedisLink, clients: int) -> float:
    """What the synced limiter holds per client with `clients` of them, none expired (its
    clock stopped), each a first request under the default limit: Python's allocations
    (tracemalloc), the keys' strings included."""
    limiter, _ = synced_parts(link, "census", StoppedClock(), max_keys=clients)
    quota = Quota(1000, 60)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(clients):
            await limiter.hit(address_key(i), quota)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(limiter) == clients and limiter.dropped == 0
    return held / clients
