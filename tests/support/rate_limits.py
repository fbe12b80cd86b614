"""The failover rate limiter over a real link, as the composition root builds it."""

from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.failover.rate_limits import FailoverRateLimiter, InstanceCount
from adapters.memory.rate_limits import MemoryRateLimiter
from adapters.redis.rate_limits import RedisInstanceCensus, RedisRateLimiter
from adapters.system import SystemClock


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
