"""The table of the state Ballast keeps: for each port, the memory adapter (used alone
without `REDIS_URL`, and as the fallback behind Redis), the Redis adapter (always behind the
failover, on the one link every capability shares), the policy that decides what happens
while Redis is down, and whether writes made meanwhile are journaled and replayed.
`build` makes a capability from its row; the composition root (bootstrap.py) binds it.
"""

import re
import secrets
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

from adapters.failover.auth import (
    FailoverAuthEventLog,
    FailoverRefreshTokenStore,
    FailoverUserDirectory,
)
from adapters.failover.clients import ReplicatedClientRegistry
from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.failover.notifications import FailoverNotificationRepository
from adapters.failover.rate_limits import FailoverRateLimiter, InstanceCount, SyncedRateLimiter
from adapters.failover.rates import FailoverRateCache, FailoverRateHistoryStore
from adapters.failover.revocations import ReplicatedRevocationList
from adapters.memory.auth import (
    MemoryAuthEventLog,
    MemoryRefreshTokenStore,
    MemoryRevocationList,
    MemoryUserDirectory,
)
from adapters.memory.bounds import DroppedEntries
from adapters.memory.clients import MemoryClientRegistry
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.memory.rate_limits import MemoryRateLimiter
from adapters.memory.rates import MemoryRateCache, MemoryRateHistoryStore
from adapters.redis.auth import (
    RedisRefreshTokenStore,
    RedisRevocationList,
    RedisUserDirectory,
)
from adapters.redis.clients import RedisClientRegistry
from adapters.redis.events import RedisAuthEventLog
from adapters.redis.notifications import RedisNotificationRepository
from adapters.redis.rate_limits import RedisInstanceCensus, RedisRateLimiter
from adapters.redis.rates import RedisRateCache, RedisRateHistoryStore
from application.auth.refresh import RevokeReusedFamily
from application.auth.sessions import EndSessions
from domain.ports import (
    AuthEventLog,
    ClientRegistry,
    Clock,
    DeliveryLeases,
    ExactRateLimiter,
    IdempotencyKeys,
    NotificationRepository,
    NotificationStore,
    RateCache,
    RateHistoryStore,
    RateLimiter,
    RefreshTokenStore,
    RevocationList,
    UserDirectory,
)
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import OnRedisDown, Policies, Settings

P = TypeVar("P")


@attrs.frozen
class Parts:
    """What a factory of the table may use."""

    settings: Settings
    clock: Clock
    lifecycle: Lifecycle
    resolve: Callable[[type], Any]  # the container's: for what is bound later (use cases)
    fallback_max: int | None  # BALLAST_FALLBACK_MAX_ENTRIES when behind Redis, else None
    dropped: DroppedEntries  # the bounded memory adapters, for /health and /metrics

    def bound(self, alone: int) -> int:
        """A memory adapter's size: `alone` without Redis, the fallback bound behind it."""
        return alone if self.fallback_max is None else self.fallback_max


@attrs.frozen
class Behind:
    """What a Redis factory composes: the shared link, the capability's failover (breaker,
    policy, journal) and the memory adapter the failover falls back to (the one the row's
    `memory` made: each failover adapter takes the concrete kind it replicates into)."""

    link: RedisLink
    failover: Failover
    memory: Any

    @property
    def client(self) -> Any:
        return self.link.client


Policy = Callable[[Policies], OnRedisDown]


@attrs.frozen
class Capability(Generic[P]):
    """One row: see `CAPABILITIES`. Both factories are typed by the row's port, so mypy
    refuses a row whose adapters do not implement it."""

    port: type[P]
    name: str  # in logs, metrics (`capability` label) and /health
    memory: Callable[[Parts], P]
    redis: Callable[[Parts, Behind], P]
    # While Redis is down: None always falls back to memory (disposable state); otherwise
    # the `Policies` field (BALLAST_<FIELD>_ON_REDIS_DOWN: fallback or fail_closed).
    policy: Policy | None
    journaled: bool  # writes made on the fallback are replayed to Redis when it returns
    roles: tuple[type, ...] = ()  # the narrower ports the same adapter is bound to as well


def _revocations(parts: Parts, behind: Behind) -> ReplicatedRevocationList:
    revocations = ReplicatedRevocationList(
        RedisRevocationList(behind.client), behind.memory, behind.failover, behind.link
    )
    behind.link.on_recovery("revocations", revocations.resync)
    parts.lifecycle.on_stop(revocations.stop)
    return revocations


def _clients(parts: Parts, behind: Behind) -> ReplicatedClientRegistry:
    registry = ReplicatedClientRegistry(
        RedisClientRegistry(behind.client), behind.memory, behind.failover, behind.link, parts.clock
    )
    behind.link.on_recovery("clients", registry.resync)
    parts.lifecycle.on_stop(registry.stop)
    return registry


def _rate_cache(parts: Parts, behind: Behind) -> FailoverRateCache:
    cache = FailoverRateCache(RedisRateCache(behind.client), behind.memory, behind.failover)
    behind.link.on_recovery("rates", cache.restore)
    return cache


def _rate_history(parts: Parts, behind: Behind) -> FailoverRateHistoryStore:
    history = FailoverRateHistoryStore(
        RedisRateHistoryStore(behind.client), behind.memory, behind.failover
    )
    behind.link.on_recovery("rates_history", history.restore)
    return history


HEARTBEAT_EVERY = 5.0
HEARTBEAT_TTL = 3 * HEARTBEAT_EVERY  # an instance is forgotten after three missed heartbeats
# One script call per interval carries the hits of the keys near their limit
# (docs/RATE_LIMITS.md's bound).
RATE_LIMIT_SYNC_EVERY = 0.1


def instances_of(link: RedisLink, lifecycle: Lifecycle) -> InstanceCount:
    """The number of live instances, kept current by a heartbeat: during an outage each
    instance enforces its share of a limit."""
    census = RedisInstanceCensus(link.client, secrets.token_hex(8), HEARTBEAT_TTL)
    instances = InstanceCount(census, Failover(link, "rate_limits"))
    lifecycle.on_start(instances.beat)
    lifecycle.every(HEARTBEAT_EVERY, instances.beat, "instance_heartbeat")
    lifecycle.on_stop(instances.leave)
    return instances


def _synced_rate_limiter(parts: Parts, behind: Behind) -> SyncedRateLimiter:
    limiter = SyncedRateLimiter(
        RedisRateLimiter(behind.client),
        behind.memory,
        behind.failover,
        parts.resolve(InstanceCount),
        parts.clock,
        parts.bound(100_000),
    )
    parts.lifecycle.every(RATE_LIMIT_SYNC_EVERY, limiter.sync)
    parts.lifecycle.on_stop(limiter.sync)
    parts.dropped.watch("rate_limiter", limiter)  # its views' drops and its fallback's
    return limiter


# Where each capability's adapter is chosen, and what it does while Redis is down.
CAPABILITIES = (
    Capability(
        RevocationList,
        "tokens",
        # Every revocation is replicated in memory, Redis or not: at least a million.
        memory=lambda p: MemoryRevocationList(p.clock, max(p.bound(1_000_000), 1_000_000)),
        redis=_revocations,
        policy=lambda p: p.tokens,
        journaled=True,
    ),
    Capability(
        RefreshTokenStore,
        "tokens",
        memory=lambda p: MemoryRefreshTokenStore(p.clock, p.bound(1_000_000)),
        redis=lambda p, b: FailoverRefreshTokenStore(
            RedisRefreshTokenStore(b.client),
            b.memory,
            b.failover,
            on_reuse=lambda user, family: p.resolve(RevokeReusedFamily).found_on_replay(
                user, family
            ),
            revoke_families=lambda families: p.resolve(EndSessions).revoke_families(families),
        ),
        policy=lambda p: p.tokens,
        journaled=True,
    ),
    Capability(
        UserDirectory,
        "users",
        memory=lambda p: MemoryUserDirectory(p.clock, p.bound(100_000)),
        redis=lambda p, b: FailoverUserDirectory(
            RedisUserDirectory(b.client), b.memory, b.failover
        ),
        policy=lambda p: p.users,
        journaled=True,
    ),
    Capability(
        ClientRegistry,
        "clients",
        memory=lambda p: MemoryClientRegistry(p.clock, p.bound(100_000)),
        redis=_clients,
        policy=lambda p: p.clients,
        journaled=True,
    ),
    Capability(
        AuthEventLog,
        "events",
        memory=lambda p: MemoryAuthEventLog(min(p.bound(10_000), 10_000)),
        redis=lambda p, b: FailoverAuthEventLog(RedisAuthEventLog(b.client), b.memory, b.failover),
        policy=lambda p: p.events,
        journaled=True,
    ),
    Capability(
        NotificationRepository,
        "notifications",
        memory=lambda p: MemoryNotificationRepository(p.clock, p.bound(100_000)),
        redis=lambda p, b: FailoverNotificationRepository(
            RedisNotificationRepository(b.client), b.memory, b.failover
        ),
        policy=lambda p: p.notifications,
        journaled=True,
        roles=(NotificationStore, IdempotencyKeys, DeliveryLeases),
    ),
    Capability(
        RateCache,
        "rates",
        memory=lambda p: MemoryRateCache(p.clock),
        redis=_rate_cache,
        policy=None,
        journaled=False,
    ),
    Capability(
        RateHistoryStore,  # published days, for conversions at a date
        "rates",
        memory=lambda p: MemoryRateHistoryStore(),
        redis=_rate_history,
        policy=None,
        journaled=False,
    ),
    Capability(
        RateLimiter,  # decided in process, synced with Redis every RATE_LIMIT_SYNC_EVERY
        "rate_limits",
        memory=lambda p: MemoryRateLimiter(p.clock, p.bound(100_000)),
        redis=_synced_rate_limiter,
        policy=None,
        journaled=False,
    ),
    Capability(
        ExactRateLimiter,  # one round trip per decision (the login limit)
        "rate_limits",
        memory=lambda p: MemoryRateLimiter(p.clock, p.bound(100_000)),
        redis=lambda p, b: FailoverRateLimiter(
            RedisRateLimiter(b.client), b.memory, b.failover, p.resolve(InstanceCount)
        ),
        policy=None,
        journaled=False,
    ),
)


def fails_closed(row: Capability[Any], policies: Policies) -> bool:
    return row.policy is not None and row.policy(policies) is OnRedisDown.FAIL_CLOSED


def store_name(port: type) -> str:
    """`UserDirectory` -> `user_directory`: the `store` label of a memory store's metrics."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", port.__name__).lower()


def build(row: Capability[P], parts: Parts, link: RedisLink | None) -> P:
    """The capability's memory adapter, alone without a link; else its Redis adapter behind
    a failover that falls back to the memory adapter."""
    memory = row.memory(parts)
    parts.dropped.watch(store_name(row.port), memory)
    if link is None:
        return memory
    journal = link.journal if row.journaled else None
    failover = Failover(link, row.name, fails_closed(row, parts.settings.policies), journal)
    return row.redis(parts, Behind(link, failover, memory))
