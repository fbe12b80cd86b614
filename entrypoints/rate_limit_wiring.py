"""The rate limiter's part of the composition root: memory alone, or Redis behind the
failover (never fail closed, never replayed) with the instance heartbeat that sizes each
instance's share of a limit during an outage. With Redis, the default limit is decided in
process and synced every SYNC_EVERY seconds; the login limit stays exact (a round trip)."""

import secrets
from collections.abc import Callable
from typing import Any

from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.failover.rate_limits import FailoverRateLimiter, InstanceCount, SyncedRateLimiter
from adapters.memory.rate_limits import MemoryRateLimiter
from adapters.redis.rate_limits import RedisInstanceCensus, RedisRateLimiter
from application.rate_limits import CheckRateLimits
from domain.ports import Clock, RateLimiter
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import Settings

Bind = Callable[[type, Any], Any]
HEARTBEAT_EVERY = 5.0
# An instance is forgotten after three missed heartbeats.
HEARTBEAT_TTL = 3 * HEARTBEAT_EVERY
# One pipeline per interval carries every touched key's hits: the README's accuracy bound.
SYNC_EVERY = 0.1


def bind_rate_limiting(
    bind: Bind, settings: Settings, clock: Clock, lifecycle: Lifecycle, link: RedisLink | None
) -> RateLimiter:
    limiter: RateLimiter
    exact: RateLimiter | None = None
    if link is None:
        limiter = MemoryRateLimiter(clock)
    else:
        max_keys = settings.redis.fallback_max if settings.redis else 100_000
        failover = Failover(link, "rate_limits")  # disposable: never fails closed or replayed
        census = RedisInstanceCensus(link.client, secrets.token_hex(8), HEARTBEAT_TTL)
        instances = bind(InstanceCount, InstanceCount(census, failover))
        lifecycle.on_start(instances.beat)
        lifecycle.every(HEARTBEAT_EVERY, instances.beat, "instance_heartbeat")
        lifecycle.on_stop(instances.leave)
        redis = RedisRateLimiter(link.client)
        exact = FailoverRateLimiter(redis, MemoryRateLimiter(clock, max_keys), failover, instances)
        synced = SyncedRateLimiter(
            redis, MemoryRateLimiter(clock, max_keys), failover, instances, clock, max_keys
        )
        lifecycle.every(SYNC_EVERY, synced.sync)
        lifecycle.on_stop(synced.sync)
        limiter = bind(SyncedRateLimiter, synced)
    limiter = bind(RateLimiter, limiter)
    bind(CheckRateLimits, CheckRateLimits(limiter, exact))
    return limiter
