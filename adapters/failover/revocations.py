"""The local revocation replica: verification never waits on Redis, and an outage never
re-accepts a token revoked before it."""

import asyncio
import logging

from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.failover.redis_errors import LINK_ERRORS, is_outage
from adapters.memory.auth import MemoryRevocationList
from adapters.redis.auth import RedisRevocationList
from application.supervision import detached
from domain.tokens import Revocation, TokenClaims

log = logging.getLogger("ballast.failover")


class ReplicatedRevocationList:
    """Every instance holds all unexpired revocations in memory.

    Filled from Redis at start and on every recovery (which also writes back what Redis
    lacks, e.g. after it restarted empty), and kept current by pub/sub in between. A
    revocation is recorded locally first, so it holds at once on this instance whatever
    Redis does; with Redis down it is journaled like any write.
    """

    def __init__(
        self,
        redis: RedisRevocationList,
        replica: MemoryRevocationList,
        failover: Failover,
        link: RedisLink,
    ) -> None:
        self._redis, self._replica, self._failover, self._link = redis, replica, failover, link
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def revoke(self, revocation: Revocation) -> None:
        await self._replica.revoke(revocation)

        async def noop() -> None:
            return None

        await self._failover.write(
            lambda: self._redis.revoke(revocation),
            noop,
            ("revoke", lambda: self._redis.revoke(revocation)),
        )

    async def is_revoked(self, claims: TokenClaims) -> bool:
        return await self._replica.is_revoked(claims)

    @property
    def replica(self) -> MemoryRevocationList:
        return self._replica

    async def resync(self) -> None:
        """Recovery hook: subscribe, then load, then write back (no revocation falls
        between loading and subscribing)."""
        await self._start_listener()
        loaded = await self._link.raw(self._redis.load)
        for revocation in loaded:
            await self._replica.revoke(revocation)
        local = self._replica.live()
        await self._link.raw(lambda: self._redis.write_back(local))
        log.info("event=revocations_synced loaded=%d local=%d", len(loaded), len(local))

    async def _start_listener(self) -> None:
        if self._listener is not None and not self._listener.done():
            return
        self._subscribed = asyncio.Event()
        # A fresh context: the listener outlives the recovery that starts it.
        self._listener = detached(self._listen(), "revocation_feed")
        async with asyncio.timeout(self._link.command_timeout * 4):
            await self._subscribed.wait()

    async def _listen(self) -> None:
        try:
            await self._redis.listen(self._subscribed.set, self._apply)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            # The subscription is lost (Redis restarted or gone, or a surprise): what was
            # announced meanwhile is unknown, so go through recovery, which resyncs
            # everything and starts the feed again.
            if isinstance(e, LINK_ERRORS) and is_outage(e):
                log.warning("event=revocation_feed_lost error=%s", type(e).__name__)
            else:
                self._link.supervisor.failed("revocation_feed", e)
            self._link.breaker.trip()

    async def _apply(self, revocation: Revocation) -> None:
        """One announced revocation into the replica; one that fails is logged (by the
        supervisor) and the feed goes on."""
        await self._link.supervisor.attempt(
            "revocation_feed", lambda: self._replica.revoke(revocation)
        )

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
