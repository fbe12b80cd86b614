"""The rate limiter behind the failover: shared in Redis, and during an outage each instance
enforces its share of the limit (the limit divided by the last known number of instances),
so N instances on fallback do not let N times the traffic through. Counters are disposable:
never replayed, never failed closed."""

import contextlib
import logging

from adapters.failover.core import Failover
from adapters.failover.link import RedisUnavailableError
from adapters.memory.rate_limits import MemoryRateLimiter
from adapters.redis.rate_limits import RedisInstanceCensus, RedisRateLimiter
from domain.rate_limits import Quota, RateDecision

log = logging.getLogger("ballast.failover")


class InstanceCount:
    """The last known number of live instances, kept current by a heartbeat into Redis."""

    def __init__(self, census: RedisInstanceCensus, failover: Failover) -> None:
        self._census = census
        self._failover = failover
        self.instances = 1

    async def beat(self) -> None:
        """One heartbeat; while Redis is down the last known count stays."""
        try:
            count = await self._failover.link.call(self._census.beat)
        except RedisUnavailableError:
            return
        if count != self.instances:
            log.info("event=instances_changed before=%d after=%d", self.instances, count)
        self.instances = max(1, count)

    async def leave(self) -> None:
        """At stop: no longer counted by the others (else they would wait out the TTL)."""
        with contextlib.suppress(RedisUnavailableError):
            await self._failover.link.call(self._census.leave)


class FailoverRateLimiter:
    def __init__(
        self,
        redis: RedisRateLimiter,
        memory: MemoryRateLimiter,
        failover: Failover,
        instances: InstanceCount,
    ) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover
        self._instances = instances

    async def hit(self, key: str, quota: Quota) -> RateDecision:
        share = quota.share(self._instances.instances)
        return await self._failover.write(
            lambda: self._redis.hit(key, quota), lambda: self._memory.hit(key, share)
        )
