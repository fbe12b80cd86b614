"""The Redis side of the composition root: one link, one journal, and a failover adapter
per port (Redis first, memory behind it)."""

from collections.abc import Callable
from typing import Any

from adapters.failover.auth import (
    FailoverAuthEventLog,
    FailoverRefreshTokenStore,
    FailoverUserDirectory,
)
from adapters.failover.core import Failover
from adapters.failover.health import RedisHealthProbe
from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.failover.revocations import ReplicatedRevocationList
from adapters.memory.auth import (
    MemoryAuthEventLog,
    MemoryRefreshTokenStore,
    MemoryRevocationList,
    MemoryUserDirectory,
)
from adapters.redis.auth import (
    RedisAuthEventLog,
    RedisRefreshTokenStore,
    RedisRevocationList,
    RedisUserDirectory,
)
from adapters.redis.client import make_client
from domain.ports import (
    AuthEventLog,
    Clock,
    HealthProbe,
    RefreshTokenStore,
    RevocationList,
    UserDirectory,
)
from domain.tokens import Revocation, RevocationKind
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import OnRedisDown, RedisSettings, Settings

Bind = Callable[[type, Any], Any]


def bind_redis_link(
    bind: Bind, settings: Settings, lifecycle: Lifecycle
) -> tuple[RedisLink, ReplayJournal]:
    """The link and the journal every Redis-backed capability shares."""
    redis: RedisSettings = settings.redis  # type: ignore[assignment]
    client = make_client(redis.url, redis.connect_timeout, redis.command_timeout, redis.tls)
    journal: ReplayJournal = bind(ReplayJournal, ReplayJournal(redis.journal_max))
    link: RedisLink = bind(
        RedisLink,
        RedisLink(
            client,
            journal,
            redis.command_timeout,
            redis.failures_to_open,
            heartbeat_interval=redis.heartbeat_interval,
            heartbeat_timeout=redis.heartbeat_timeout,
            supervisor=lifecycle.supervisor,
        ),
    )
    lifecycle.on_start(link.start)
    lifecycle.on_stop(link.stop)
    return link, journal


def failover_for(
    link: RedisLink, journal: ReplayJournal | None, capability: str, policy: OnRedisDown
) -> Failover:
    """A capability's failover; `journal=None` for disposable state that is not replayed."""
    return Failover(link, capability, policy is OnRedisDown.FAIL_CLOSED, journal)


def bind_redis_auth(
    bind: Bind,
    settings: Settings,
    link: RedisLink,
    journal: ReplayJournal,
    clock: Clock,
    lifecycle: Lifecycle,
) -> list[HealthProbe]:
    redis: RedisSettings = settings.redis  # type: ignore[assignment]
    policies = settings.policies

    def failover(capability: str, policy: OnRedisDown) -> Failover:
        return failover_for(link, journal, capability, policy)

    revocations = ReplicatedRevocationList(
        RedisRevocationList(link.client),
        MemoryRevocationList(clock, max_entries=max(redis.fallback_max, 1_000_000)),
        failover("tokens", policies.tokens),
        link,
    )
    bind(RevocationList, revocations)
    link.on_recovery("revocations", revocations.resync)
    lifecycle.on_stop(revocations.stop)

    async def revoke_family(family: str, ttl: int) -> None:
        until = int(clock.now()) + ttl
        await revocations.revoke(Revocation(RevocationKind.FAMILY, family, until))

    bind(
        UserDirectory,
        FailoverUserDirectory(
            RedisUserDirectory(link.client),
            MemoryUserDirectory(clock, redis.fallback_max),
            failover("users", policies.users),
        ),
    )
    bind(
        RefreshTokenStore,
        FailoverRefreshTokenStore(
            RedisRefreshTokenStore(link.client),
            MemoryRefreshTokenStore(clock, redis.fallback_max),
            failover("tokens", policies.tokens),
            revoke_family,
            settings.refresh_ttl,
        ),
    )
    bind(
        AuthEventLog,
        FailoverAuthEventLog(
            RedisAuthEventLog(link.client),
            MemoryAuthEventLog(min(redis.fallback_max, 10_000)),
            failover("events", policies.events),
        ),
    )
    fail_closed = tuple(
        name
        for name in ("tokens", "users", "events", "notifications")
        if getattr(policies, name) is OnRedisDown.FAIL_CLOSED
    )
    return [RedisHealthProbe(link, journal, fail_closed)]
