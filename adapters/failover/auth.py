"""Failover adapters of the auth ports: Redis first, memory when Redis cannot answer."""

import logging
from collections.abc import Awaitable, Callable

from adapters.failover.core import Failover
from adapters.memory.auth import MemoryAuthEventLog, MemoryRefreshTokenStore, MemoryUserDirectory
from adapters.redis.auth import RedisRefreshTokenStore, RedisUserDirectory
from adapters.redis.events import RedisAuthEventLog
from domain.errors import ConflictError
from domain.events import AuthEvent, AuthEventPage
from domain.tokens import Rotation
from domain.users import User, UserPage

log = logging.getLogger("ballast.failover")


class FailoverUserDirectory:
    """Users read from Redis are mirrored in memory, so known users can log in during an
    outage; users created during one are replayed (a name taken meanwhile is logged)."""

    def __init__(
        self, redis: RedisUserDirectory, memory: MemoryUserDirectory, failover: Failover
    ) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover

    async def get(self, username: str) -> User | None:
        async def primary() -> User | None:
            user = await self._redis.get(username)
            if user is not None:
                await self._memory.put(user)
            return user

        return await self._failover.read(primary, lambda: self._memory.get(username))

    async def add(self, user: User) -> None:
        async def primary() -> None:
            await self._redis.add(user)
            await self._memory.put(user)

        async def replay() -> None:
            try:
                await self._redis.add(user)
            except ConflictError:
                log.error("event=replay_conflict capability=users username=%s", user.username)

        await self._failover.write(primary, lambda: self._memory.add(user), ("add_user", replay))

    async def put(self, user: User) -> None:
        async def primary() -> None:
            await self._redis.put(user)
            await self._memory.put(user)

        await self._failover.write(
            primary, lambda: self._memory.put(user), ("put_user", lambda: self._redis.put(user))
        )

    async def remove(self, username: str) -> None:
        async def primary() -> None:
            await self._redis.remove(username)
            await self._memory.remove(username)

        await self._failover.write(
            primary,
            lambda: self._memory.remove(username),
            ("remove_user", lambda: self._redis.remove(username)),
        )

    async def page(self, limit: int, after: str | None) -> UserPage:
        return await self._failover.read(
            lambda: self._redis.page(limit, after), lambda: self._memory.page(limit, after)
        )

    async def configured_names(self) -> set[str]:
        return await self._failover.read(
            lambda: self._redis.configured_names(), self._memory.configured_names
        )


class FailoverRefreshTokenStore:
    """During an outage a validly signed refresh token unknown to memory is adopted once
    (policy `fallback`); its use is journaled, and if Redis shows the token was already
    used, `on_reuse(user, family)` is told when the journal is replayed (it revokes the
    family and records the reuse); `revoke_families` when a journaled `end_all` is replayed,
    with the families Redis still held."""

    def __init__(
        self,
        redis: RedisRefreshTokenStore,
        memory: MemoryRefreshTokenStore,
        failover: Failover,
        on_reuse: Callable[[str, str], Awaitable[None]],
        revoke_families: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover
        self._on_reuse, self._revoke_families = on_reuse, revoke_families

    async def start(self, user: str, family: str, jti: str, ttl: int) -> None:
        await self._failover.write(
            lambda: self._redis.start(user, family, jti, ttl),
            lambda: self._memory.start(user, family, jti, ttl),
            ("start_family", lambda: self._redis.start(user, family, jti, ttl)),
        )

    async def rotate(self, user: str, family: str, jti: str, successor: str, ttl: int) -> Rotation:
        async def fallback() -> Rotation:
            outcome = await self._memory.rotate(user, family, jti, successor, ttl)
            if outcome is Rotation.UNKNOWN:
                await self._memory.start(user, family, successor, ttl)
                return Rotation.ROTATED
            return outcome

        async def replay() -> None:
            outcome = await self._redis.rotate(user, family, jti, successor, ttl)
            if outcome is Rotation.UNKNOWN:
                await self._redis.start(user, family, successor, ttl)
            elif outcome is Rotation.REUSED:
                log.warning("event=refresh_reuse_detected_on_replay family_prefix=%s", family[:6])
                await self._on_reuse(user, family)

        return await self._failover.write(
            lambda: self._redis.rotate(user, family, jti, successor, ttl),
            fallback,
            ("rotate_refresh", replay),
        )

    async def end(self, user: str, family: str) -> None:
        async def primary() -> None:
            await self._redis.end(user, family)
            await self._memory.end(user, family)

        async def end() -> None:
            await self._redis.end(user, family)

        # Repeatable: a family id is never reused, so ending it again never ends a newer one.
        await self._failover.write(
            primary, lambda: self._memory.end(user, family), ("end_family", end), end
        )

    async def end_all(self, user: str) -> list[str]:
        async def primary() -> list[str]:
            ended = await self._redis.end_all(user)
            return sorted({*ended, *await self._memory.end_all(user)})

        async def replay() -> None:
            await self._revoke_families(await self._redis.end_all(user))

        return await self._failover.write(
            primary, lambda: self._memory.end_all(user), ("end_user_families", replay)
        )


class FailoverAuthEventLog:
    """Redis's log, or memory's while Redis cannot answer (events recorded meanwhile are
    replayed into Redis when it returns, as its newest).

    A cursor belongs to the store that made it: a Redis stream entry id or `m<seq>` of the
    memory ring. When the other store answers the next page (an outage began or ended
    mid-walk), the walk starts again from that store's newest event: never read as a place
    in a log it does not describe (which could skip events silently), never refused (every
    cursor of the documented form is a place to read from). A walk across the switch may
    see an event twice, never miss one the answering store holds."""

    def __init__(
        self, redis: RedisAuthEventLog, memory: MemoryAuthEventLog, failover: Failover
    ) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover

    async def record(self, event: AuthEvent) -> None:
        async def record() -> None:
            await self._redis.record(event)

        # Repeatable: Redis records an event id once (its replay guard).
        await self._failover.write(
            lambda: self._redis.record(event),
            lambda: self._memory.record(event),
            ("record_event", record),
            record,
        )

    async def page(self, limit: int, cursor: str | None = None) -> AuthEventPage:
        return await self._failover.read(
            lambda: self._redis.page(limit, cursor), lambda: self._memory.page(limit, cursor)
        )
