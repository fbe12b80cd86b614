"""The composition root: every production choice of adapter, and every background task,
in one place. The capabilities come from their table (capabilities.py); use cases are built
by punq from what is bound here; the HTTP layer only looks up what is bound here (the access
log's queue and the Redis budget included) and registers nothing.

`bootstrap(settings, overrides)` returns the container; tests pass other settings or
override single ports (a fake clock, a cheap password hasher).
"""

import logging
from collections.abc import Callable
from typing import Any

import punq

from adapters.client_secrets import HmacClientSecrets
from adapters.failover.budget import RedisBudget
from adapters.failover.health import RedisHealthProbe
from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.failover.rate_limits import InstanceCount
from adapters.failover.revocations import ReplicatedRevocationList
from adapters.jwt_codec import JwtTokenCodec
from adapters.jwt_keys import key_ring
from adapters.memory.auth import (
    MemoryRevocationList,
)
from adapters.memory.bounds import DroppedEntries
from adapters.memory.health import RedisNotConfiguredProbe, RevocationsProbe
from adapters.passwords import Argon2PasswordHasher
from adapters.redis.client import make_client
from adapters.system import RandomIds, SystemClock
from application.auth.clients import (
    CreateClient,
    CutOffClient,
    DeleteClient,
    GetClient,
    ListClients,
    RotateClientSecret,
    SeedClients,
    UpdateClient,
)
from application.auth.events import EventRecorder, ListAuthEvents
from application.auth.grant import AuthenticateClient, IssueClientToken
from application.auth.introspect import Introspect
from application.auth.login import Login
from application.auth.oauth_revoke import RevokeClientToken
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
from application.notifications.delivery import DeliveryWorker
from application.notifications.read import (
    GetNotification,
    ListNotifications,
    MarkNotificationRead,
)
from application.notifications.redeliver import RedeliverNotification
from application.notifications.send import SendNotification
from application.rate_limits import CheckRateLimits
from domain.clients import BALLAST_SCOPES, ClientPolicy
from domain.errors import DependencyUnavailableError
from domain.ports import (
    ClientSecrets,
    Clock,
    HealthProbe,
    IdSource,
    NotificationRepository,
    PasswordHasher,
    PublicKeys,
    RateCache,
    RateHistoryStore,
    RevocationList,
    TokenCodec,
)
from domain.tokens import TokenPolicy
from entrypoints import metrics
from entrypoints.access_log import AccessLog
from entrypoints.capabilities import (
    CAPABILITIES,
    Capability,
    Parts,
    build,
    fails_closed,
    instances_of,
)
from entrypoints.config_checks import clients_refusal
from entrypoints.lifecycle import Lifecycle
from entrypoints.metrics import StateExporter
from entrypoints.redis_budget import RedisBudgets
from entrypoints.security_events import ObservedEventRecorder
from entrypoints.services import currency, notifications
from entrypoints.settings import RedisSettings, Settings
from entrypoints.status_history import SAMPLE_EVERY, StatusHistory

__all__ = ["CAPABILITIES", "USE_CASES", "bootstrap"]

log = logging.getLogger("ballast.auth")


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
    CutOffClient,
    CreateClient,
    ListClients,
    GetClient,
    UpdateClient,
    DeleteClient,
    RotateClientSecret,
    AuthenticateClient,
    IssueClientToken,
    RevokeClientToken,
    SeedClients,
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


METRICS_SYNC_EVERY = 1.0  # seconds between two copies of the state gauges into /metrics


def _operations(
    bind: Callable[[type, Any], Any],
    settings: Settings,
    lifecycle: Lifecycle,
    exporter: StateExporter,
) -> None:
    """The queue of answered requests (their log lines and their metrics, filled by the
    edge, counted by /metrics), the state gauges' sync and the status page's traffic
    history, with their background tasks."""
    access_log: AccessLog = bind(
        AccessLog, AccessLog(lines=settings.access_log, observe=metrics.record_requests)
    )
    lifecycle.on_start(access_log.start)
    lifecycle.on_stop(access_log.stop)
    lifecycle.on_start(exporter.sync)
    lifecycle.every(METRICS_SYNC_EVERY, exporter.sync, "metrics_sync")
    lifecycle.on_stop(exporter.stop)
    history: StatusHistory = bind(StatusHistory, StatusHistory())
    lifecycle.every(SAMPLE_EVERY, history.sample, "status_sample")


def _revocation_replica(revocations: object) -> MemoryRevocationList | None:
    """The in-memory list every token is checked against (alone, or Redis's replica), for
    its health check and metrics; None when a test bound another kind."""
    if isinstance(revocations, ReplicatedRevocationList):
        return revocations.replica
    return revocations if isinstance(revocations, MemoryRevocationList) else None


def _seed_clients(
    seed: SeedClients, settings: Settings, lifecycle: Lifecycle, link: RedisLink | None
) -> None:
    """The clients of BALLAST_CLIENTS_FILE stored at start and when Redis comes back."""

    async def seeding() -> None:
        # An empty list too: the clients a former file configured are removed.
        for client_id in await seed(list(settings.clients)):
            log.warning("event=client_removed client_id=%s reason=no_longer_configured", client_id)

    async def at_start() -> None:
        try:
            await seeding()
        except DependencyUnavailableError:
            log.warning("event=seed_clients_postponed reason=redis_down")

    lifecycle.on_start(at_start)
    if link is not None:
        link.on_recovery("seed_clients", seeding)


def _seed_users(
    seed: SeedUsers, settings: Settings, lifecycle: Lifecycle, link: RedisLink | None
) -> None:
    """The configured users stored at start (and again when Redis comes back); the start
    warnings of the settings logged first."""

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


def _tokens(bind: Callable[[type, Any], Any], settings: Settings, clock: Clock) -> None:
    """The signing keys, the token codec and the token policy."""
    keys = bind(
        PublicKeys,
        key_ring(
            settings.jwt_algorithm,
            settings.jwt_secret,
            settings.jwt_private_key,
            settings.jwt_previous_keys,
        ),
    )
    bind(TokenCodec, JwtTokenCodec(keys, settings.jwt_issuer, clock, settings.jwt_audience))
    bind(ClientSecrets, HmacClientSecrets())
    bind(
        ClientPolicy,
        ClientPolicy(
            (*BALLAST_SCOPES, *settings.oauth_scopes),
            settings.client_token_ttl,
            settings.client_secret_overlap,
            clients_refusal(settings.jwt_issuer, settings.production),
        ),
    )
    bind(
        TokenPolicy,
        TokenPolicy(
            settings.jwt_issuer, settings.access_ttl, settings.refresh_ttl, settings.jwt_audience
        ),
    )


def _health_probes(
    container: punq.Container,
    settings: Settings,
    link: RedisLink | None,
    dropped: DroppedEntries,
) -> MemoryRevocationList | None:
    """The probes of /health; returns the revocation replica they and /metrics watch."""
    if link is None:
        container.register(HealthProbe, instance=RedisNotConfiguredProbe(dropped))
    else:
        closed = {row.name: None for row in CAPABILITIES if fails_closed(row, settings.policies)}
        container.register(
            HealthProbe, instance=RedisHealthProbe(link, link.journal, (*closed,), dropped)
        )
    replica = _revocation_replica(container.resolve(RevocationList))
    if replica is not None:
        container.register(HealthProbe, instance=RevocationsProbe(replica))
    return replica


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
    _tokens(bind, settings, clock)

    link: RedisLink | None = None
    if settings.uses_redis and settings.redis is not None:
        link = bind(RedisLink, _link(settings.redis, lifecycle))
        bind(ReplayJournal, link.journal)
        bind(InstanceCount, instances_of(link, lifecycle))
    fallback_max = None if settings.redis is None or link is None else settings.redis.fallback_max
    dropped = DroppedEntries()
    parts = Parts(settings, clock, lifecycle, container.resolve, fallback_max, dropped)
    rows: tuple[Capability[Any], ...] = CAPABILITIES  # each row checked against its port
    for row in rows:
        adapter = overrides[row.port] if row.port in overrides else build(row, parts, link)
        for port in (row.port, *row.roles):
            bind(port, adapter)

    replica = _health_probes(container, settings, link, dropped)
    journal = link.journal if link else None
    bind(RedisBudgets, RedisBudgets(RedisBudget))
    notifications(bind, settings, clock, lifecycle, container.resolve(NotificationRepository))
    rates = container.resolve(RateCache), container.resolve(RateHistoryStore)
    currency(bind, settings, clock, lifecycle, *rates)
    watched = container.resolve(RatesService), container.resolve(DeliveryWorker)
    instances = container.resolve(InstanceCount) if link is not None else None
    exporter = bind(
        StateExporter, StateExporter(link, journal, dropped, replica, *watched, instances)
    )
    _operations(bind, settings, lifecycle, exporter)

    for use_case in USE_CASES:
        container.register(use_case, scope=punq.Scope.singleton)
    # Every auth event counted, and the security events logged, as they are recorded.
    container.register(EventRecorder, ObservedEventRecorder, scope=punq.Scope.singleton)

    _seed_users(container.resolve(SeedUsers), settings, lifecycle, link)
    _seed_clients(container.resolve(SeedClients), settings, lifecycle, link)
    return container
