"""The composition root: every production choice of adapter, in one place.

`CAPABILITIES` is the table of the state Ballast keeps. For each port it names the memory
adapter (used alone without `REDIS_URL`, and as the fallback behind Redis), the Redis
adapter (always behind the failover, on the one link every capability shares), the policy
that decides what happens while Redis is down, and whether writes made meanwhile are
journaled and replayed. `build` makes every capability from its row. Use cases are built by
punq from what is bound here.

`bootstrap(settings, overrides)` returns the container; tests pass other settings or
override single ports (a fake clock, a cheap password hasher).
"""

import asyncio
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

import attrs
import punq

from adapters.channels.email import EmailChannel
from adapters.channels.log import LogChannel
from adapters.channels.router import ChannelRouter
from adapters.channels.webhook import WebhookChannel, WebhookSigner
from adapters.failover.auth import (
    FailoverAuthEventLog,
    FailoverRefreshTokenStore,
    FailoverUserDirectory,
)
from adapters.failover.budget import RedisBudget
from adapters.failover.core import Failover
from adapters.failover.health import RedisHealthProbe
from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.failover.notifications import FailoverNotificationRepository
from adapters.failover.rate_limits import FailoverRateLimiter, InstanceCount, SyncedRateLimiter
from adapters.failover.rates import FailoverRateCache, FailoverRateHistoryStore
from adapters.failover.revocations import ReplicatedRevocationList
from adapters.fallback_rates import builtin_history, fallback_table
from adapters.jwt_codec import JwtTokenCodec
from adapters.jwt_keys import key_ring
from adapters.memory.auth import (
    MemoryAuthEventLog,
    MemoryRefreshTokenStore,
    MemoryRevocationList,
    MemoryUserDirectory,
)
from adapters.memory.bounds import DroppedEntries
from adapters.memory.health import RedisNotConfiguredProbe, RevocationsProbe
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.memory.rate_limits import MemoryRateLimiter
from adapters.memory.rates import MemoryRateCache, MemoryRateHistoryStore
from adapters.passwords import Argon2PasswordHasher
from adapters.rates_feed import NoRateFeed, RatesFeed
from adapters.redis.auth import (
    RedisAuthEventLog,
    RedisRefreshTokenStore,
    RedisRevocationList,
    RedisUserDirectory,
)
from adapters.redis.client import make_client
from adapters.redis.notifications import RedisNotificationRepository
from adapters.redis.rate_limits import RedisInstanceCensus, RedisRateLimiter
from adapters.redis.rates import RedisRateCache, RedisRateHistoryStore
from adapters.system import RandomIds, SystemClock
from application.auth.events import EventRecorder, ListAuthEvents
from application.auth.introspect import Introspect
from application.auth.login import Login
from application.auth.refresh import Refresh, RevokeReusedFamily
from application.auth.revoke import Logout, RevokeToken
from application.auth.sessions import EndSessions
from application.auth.tokens import TokenIssuer, VerifyToken
from application.auth.user_admin import (
    ChangePassword,
    DeleteUser,
    GetUser,
    ListUsers,
    LogoutAll,
    UpdateUser,
)
from application.auth.users import CreateUser, SeedUsers
from application.currency.convert import ConvertMoney, GetRates
from application.currency.rates_service import RatesService
from application.health import CheckHealth
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from application.notifications.read import (
    GetNotification,
    ListNotifications,
    MarkNotificationRead,
)
from application.notifications.redeliver import RedeliverNotification
from application.notifications.send import SendNotification
from application.rate_limits import CheckRateLimits
from domain.errors import DependencyUnavailableError
from domain.ports import (
    AuthEventLog,
    Clock,
    DeliveryChannels,
    DeliveryLeases,
    ExactRateLimiter,
    HealthProbe,
    IdempotencyKeys,
    IdSource,
    NotificationRepository,
    NotificationStore,
    PasswordHasher,
    PublicKeys,
    RateCache,
    RateHistoryStore,
    RateLimiter,
    RateSource,
    RefreshTokenStore,
    RevocationList,
    TokenCodec,
    UserDirectory,
)
from domain.tokens import TokenPolicy
from entrypoints.http.redis_budget import RedisBudgets
from entrypoints.lifecycle import Lifecycle
from entrypoints.metrics import StateExporter, record_delivery
from entrypoints.security_events import ObservedEventRecorder
from entrypoints.settings import OnRedisDown, RedisSettings, Settings

log = logging.getLogger("ballast.auth")


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
    policy, journal) and the memory adapter the failover falls back to."""

    link: RedisLink
    failover: Failover
    memory: Any

    @property
    def client(self) -> Any:
        return self.link.client


@attrs.frozen
class Capability:
    """One row: see `CAPABILITIES`."""

    port: type
    name: str  # in logs, metrics (`capability` label) and /health
    memory: Callable[[Parts], Any]
    redis: Callable[[Parts, Behind], Any]
    # While Redis is down: None always falls back to memory (disposable state); otherwise
    # the `Policies` field read from BALLAST_<POLICY>_ON_REDIS_DOWN (fallback or fail_closed).
    policy: str | None
    journaled: bool  # writes made on the fallback are replayed to Redis when it returns
    roles: tuple[type, ...] = ()  # the narrower ports the same adapter is bound to as well


def _revocations(parts: Parts, behind: Behind) -> ReplicatedRevocationList:
    revocations = ReplicatedRevocationList(
        RedisRevocationList(behind.client), behind.memory, behind.failover, behind.link
    )
    behind.link.on_recovery("revocations", revocations.resync)
    parts.lifecycle.on_stop(revocations.stop)
    return revocations


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
# One pipeline per interval carries every touched key's hits: the README's accuracy bound.
RATE_LIMIT_SYNC_EVERY = 0.1


def _instances(link: RedisLink, lifecycle: Lifecycle) -> InstanceCount:
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
        policy="tokens",
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
        policy="tokens",
        journaled=True,
    ),
    Capability(
        UserDirectory,
        "users",
        memory=lambda p: MemoryUserDirectory(p.clock, p.bound(100_000)),
        redis=lambda p, b: FailoverUserDirectory(
            RedisUserDirectory(b.client), b.memory, b.failover
        ),
        policy="users",
        journaled=True,
    ),
    Capability(
        AuthEventLog,
        "events",
        memory=lambda p: MemoryAuthEventLog(min(p.bound(10_000), 10_000)),
        redis=lambda p, b: FailoverAuthEventLog(RedisAuthEventLog(b.client), b.memory, b.failover),
        policy="events",
        journaled=True,
    ),
    Capability(
        NotificationRepository,
        "notifications",
        memory=lambda p: MemoryNotificationRepository(p.clock, p.bound(100_000)),
        redis=lambda p, b: FailoverNotificationRepository(
            RedisNotificationRepository(b.client), b.memory, b.failover
        ),
        policy="notifications",
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

USE_CASES = (
    TokenIssuer,
    VerifyToken,
    EventRecorder,
    EndSessions,
    Login,
    RevokeReusedFamily,
    Refresh,
    Logout,
    RevokeToken,
    CreateUser,
    SeedUsers,
    ListAuthEvents,
    Introspect,
    ListUsers,
    GetUser,
    UpdateUser,
    DeleteUser,
    ChangePassword,
    LogoutAll,
    SendNotification,
    GetNotification,
    ListNotifications,
    MarkNotificationRead,
    RedeliverNotification,
    GetRates,
    ConvertMoney,
    CheckRateLimits,
    CheckHealth,
)


def fails_closed(row: Capability, settings: Settings) -> bool:
    policy = getattr(settings.policies, row.policy) if row.policy else OnRedisDown.FALLBACK
    return bool(policy is OnRedisDown.FAIL_CLOSED)


def store_name(port: type) -> str:
    """`UserDirectory` -> `user_directory`: the `store` label of a memory store's metrics."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", port.__name__).lower()


def build(row: Capability, parts: Parts, link: RedisLink | None) -> Any:
    """The capability's memory adapter, alone without a link; else its Redis adapter behind
    a failover that falls back to the memory adapter."""
    memory = row.memory(parts)
    parts.dropped.watch(store_name(row.port), memory)
    if link is None:
        return memory
    journal = link.journal if row.journaled else None
    failover = Failover(link, row.name, fails_closed(row, parts.settings), journal)
    return row.redis(parts, Behind(link, failover, memory))


def _link(settings: RedisSettings, lifecycle: Lifecycle) -> RedisLink:
    """The link (breaker, probe, journal) every Redis-backed capability shares."""
    client = make_client(
        settings.url, settings.connect_timeout, settings.command_timeout, settings.tls
    )
    journal = ReplayJournal(settings.journal_max)
    link = RedisLink(
        client,
        journal,
        settings.command_timeout,
        settings.failures_to_open,
        heartbeat_interval=settings.heartbeat_interval,
        heartbeat_timeout=settings.heartbeat_timeout,
        supervisor=lifecycle.supervisor,
    )
    lifecycle.on_start(link.start)
    lifecycle.on_stop(link.stop)
    return link


# Start-up waits this long at most for the first rate table; past it the refresh goes on.
RATES_START_WAIT = 3.0
# The shared cache keeps a table this long: an instance starting while the feed is down
# serves it (marked stale) rather than the built-in table.
RATES_CACHE_KEEP_FOR = 7 * 86_400


def _currency(
    bind: Callable[[type, Any], Any],
    settings: Settings,
    clock: Clock,
    lifecycle: Lifecycle,
    cache: RateCache,
    history: RateHistoryStore,
) -> None:
    """The feeds (or none) and the rates service that refreshes the cache in the background."""
    feed = (
        RatesFeed(settings.rates_urls, clock, settings.rates_format)
        if settings.rates_urls
        else NoRateFeed()
    )
    source: RateSource = bind(RateSource, feed)
    service: RatesService = bind(
        RatesService,
        RatesService(
            source,
            cache,
            clock,
            fallback_table(),
            settings.rates_ttl,
            RATES_CACHE_KEEP_FOR,
            history_store=history,
            builtin_history=builtin_history,
        ),
    )

    async def start() -> None:
        await service.start(wait=RATES_START_WAIT)

    lifecycle.on_start(start)
    lifecycle.on_stop(service.stop)


def _notifications(
    bind: Callable[[type, Any], Any],
    settings: Settings,
    clock: Clock,
    lifecycle: Lifecycle,
    repository: NotificationRepository,
) -> None:
    """The channels, and the delivery worker and its sweep as background tasks."""
    webhook = WebhookChannel(
        settings.webhook_allowed_hosts,
        deadline=settings.webhook_deadline,
        signer=WebhookSigner(settings.webhook_secrets),
    )
    email = EmailChannel(settings.smtp_url) if settings.smtp_url else None
    channels = bind(DeliveryChannels, ChannelRouter(LogChannel(), webhook, email))
    worker: DeliveryWorker = bind(
        DeliveryWorker,
        DeliveryWorker(
            repository,
            channels,
            clock,
            RetryPolicy(max_age=float(settings.notification_max_age)),
            on_attempt=record_delivery,
        ),
    )
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        # Supervised: a worker loop that raises is logged and started again.
        tasks.append(lifecycle.supervisor.spawn("delivery_worker", worker.run))
        tasks.append(lifecycle.supervisor.spawn("delivery_sweep", worker.sweep_periodically))

    async def stop() -> None:
        # Deliveries in flight get a bounded time to finish; whatever is left stays pending
        # in the store, where another instance's sweep (or this one's next start) finds it.
        worker.stop()
        if tasks:
            await asyncio.wait(tasks[:1], timeout=worker.policy.stop_grace)
        for running in tasks:
            running.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await webhook.close()

    lifecycle.on_start(start)
    lifecycle.on_stop(stop)


def _revocation_replica(revocations: object) -> MemoryRevocationList | None:
    """The in-memory list every token is checked against (alone, or Redis's replica), for
    its health check and metrics; None when a test bound another kind."""
    if isinstance(revocations, ReplicatedRevocationList):
        return revocations.replica
    return revocations if isinstance(revocations, MemoryRevocationList) else None


def bootstrap(settings: Settings, overrides: dict[type, Any] | None = None) -> punq.Container:
    overrides = overrides or {}
    container = punq.Container()

    def bind(port: type, default: Any) -> Any:
        instance = overrides.get(port, default)
        container.register(port, instance=instance)
        return instance

    lifecycle = bind(Lifecycle, Lifecycle())
    bind(Settings, settings)
    clock = bind(Clock, SystemClock())
    bind(IdSource, RandomIds())
    bind(PasswordHasher, Argon2PasswordHasher(memory_kib=settings.password_hash_memory_kib))
    keys = bind(
        PublicKeys,
        key_ring(
            settings.jwt_algorithm,
            settings.jwt_secret,
            settings.jwt_private_key,
            settings.jwt_previous_keys,
        ),
    )
    bind(
        TokenCodec,
        JwtTokenCodec(keys, settings.jwt_issuer, clock, settings.jwt_audience),
    )
    bind(
        TokenPolicy,
        TokenPolicy(
            settings.jwt_issuer, settings.access_ttl, settings.refresh_ttl, settings.jwt_audience
        ),
    )

    link: RedisLink | None = None
    if settings.uses_redis and settings.redis is not None:
        link = bind(RedisLink, _link(settings.redis, lifecycle))
        bind(ReplayJournal, link.journal)
        bind(InstanceCount, _instances(link, lifecycle))
    fallback_max = None if settings.redis is None or link is None else settings.redis.fallback_max
    dropped = DroppedEntries()
    parts = Parts(settings, clock, lifecycle, container.resolve, fallback_max, dropped)
    for row in CAPABILITIES:
        adapter = overrides[row.port] if row.port in overrides else build(row, parts, link)
        for port in (row.port, *row.roles):
            bind(port, adapter)

    if link is None:
        container.register(HealthProbe, instance=RedisNotConfiguredProbe(dropped))
    else:
        closed = {row.name: None for row in CAPABILITIES if fails_closed(row, settings)}
        container.register(
            HealthProbe, instance=RedisHealthProbe(link, link.journal, (*closed,), dropped)
        )
    replica = _revocation_replica(container.resolve(RevocationList))
    if replica is not None:
        container.register(HealthProbe, instance=RevocationsProbe(replica))
    journal = link.journal if link else None
    bind(RedisBudgets, RedisBudgets(RedisBudget))
    _notifications(bind, settings, clock, lifecycle, container.resolve(NotificationRepository))
    rates = container.resolve(RateCache), container.resolve(RateHistoryStore)
    _currency(bind, settings, clock, lifecycle, *rates)
    watched = container.resolve(RatesService), container.resolve(DeliveryWorker)
    instances = container.resolve(InstanceCount) if link is not None else None
    bind(StateExporter, StateExporter(link, journal, dropped, replica, *watched, instances))

    for use_case in USE_CASES:
        container.register(use_case, scope=punq.Scope.singleton)
    # Every auth event counted, and the security events logged, as they are recorded.
    container.register(EventRecorder, ObservedEventRecorder, scope=punq.Scope.singleton)

    seed = container.resolve(SeedUsers)

    async def seed_users() -> None:
        for name in await seed(settings.admin_password, list(settings.users)):
            log.warning("event=user_removed username=%s reason=no_longer_configured", name)

    async def seed_at_start() -> None:
        # With Redis down under fail_closed the users cannot be stored yet: start anyway;
        # the link's recovery seeds them when Redis answers, before requests use it.
        try:
            await seed_users()
        except DependencyUnavailableError:
            log.warning("event=seed_users_postponed reason=redis_down")

    async def warn() -> None:
        for line in settings.warnings:
            log.warning(line)

    lifecycle.on_start(warn)
    lifecycle.on_start(seed_at_start)
    if link is not None:
        link.on_recovery("seed_users", seed_users)
    return container
