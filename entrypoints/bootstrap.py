"""The composition root: every production choice of adapter, in one place.

`bootstrap(settings, overrides)` returns a punq container; tests pass other settings or
override single ports (a fake clock, a cheap password hasher).
"""

import logging
from typing import Any

import punq

from adapters.failover.link import RedisLink
from adapters.jwt_codec import JwtTokenCodec
from adapters.memory.auth import (
    MemoryAuthEventLog,
    MemoryRefreshTokenStore,
    MemoryRevocationList,
    MemoryUserDirectory,
)
from adapters.memory.health import RedisNotConfiguredProbe
from adapters.passwords import ScryptPasswordHasher
from adapters.system import RandomIds, SystemClock
from application.auth.events import EventRecorder, ListAuthEvents
from application.auth.login import Login
from application.auth.refresh import Refresh
from application.auth.revoke import Logout, RevokeToken
from application.auth.sessions import EndSessions
from application.auth.tokens import TokenIssuer, VerifyToken
from application.auth.users import CreateUser, SeedUsers
from application.health import CheckHealth
from domain.errors import DependencyUnavailableError
from domain.ports import (
    AuthEventLog,
    Clock,
    HealthProbe,
    IdSource,
    PasswordHasher,
    RefreshTokenStore,
    RevocationList,
    TokenCodec,
    UserDirectory,
)
from domain.tokens import TokenPolicy
from entrypoints.currency_wiring import bind_currency
from entrypoints.lifecycle import Lifecycle
from entrypoints.notification_wiring import bind_notifications
from entrypoints.rate_limit_wiring import bind_rate_limiting
from entrypoints.redis_wiring import bind_redis_auth, bind_redis_link
from entrypoints.settings import Settings

log = logging.getLogger("ballast.auth")

USE_CASES = (
    TokenIssuer,
    VerifyToken,
    EventRecorder,
    EndSessions,
    Login,
    Refresh,
    Logout,
    RevokeToken,
    CreateUser,
    SeedUsers,
    ListAuthEvents,
)


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
    ids = bind(IdSource, RandomIds())
    bind(PasswordHasher, ScryptPasswordHasher(n=settings.password_hash_n))
    bind(TokenCodec, JwtTokenCodec(settings.jwt_secret, settings.jwt_issuer, clock))
    bind(
        TokenPolicy,
        TokenPolicy(settings.jwt_issuer, settings.access_ttl, settings.refresh_ttl),
    )

    probes: list[HealthProbe] = []
    link: RedisLink | None = None
    if settings.uses_redis:
        link, journal = bind_redis_link(bind, settings, lifecycle)
        probes += bind_redis_auth(bind, settings, link, journal, clock, lifecycle)
    else:
        bind(UserDirectory, MemoryUserDirectory(clock))
        bind(RefreshTokenStore, MemoryRefreshTokenStore(clock))
        bind(RevocationList, MemoryRevocationList(clock))
        bind(AuthEventLog, MemoryAuthEventLog())
        probes.append(RedisNotConfiguredProbe())
    # Each capability: memory alone, or Redis behind the failover when `link` is set.
    bind_rate_limiting(bind, settings, clock, lifecycle, link)
    bind_notifications(bind, settings, clock, ids, lifecycle, link)
    bind_currency(bind, settings, clock, lifecycle, link)

    for use_case in USE_CASES:
        container.register(use_case, scope=punq.Scope.singleton)
    bind(CheckHealth, CheckHealth(overrides.get(list[HealthProbe], probes)))

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

    lifecycle.on_start(seed_at_start)
    if link is not None:
        link.on_recovery("seed_users", seed_users)
    return container
