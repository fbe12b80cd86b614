"""The local revocation replica: verification never waits on Redis, and an outage never
re-accepts a token revoked before it."""

import asyncio
import functools
import itertools
import logging
import time

from adapters.failover.core import Failover
from adapters.failover.feed import Feed
from adapters.failover.link import RedisLink
from adapters.failover.redis_errors import RedisUnavailableError
from adapters.memory.auth import MemoryRevocationList
from adapters.redis.auth import RedisRevocationList
from application.supervision import detached
from domain.errors import DependencyUnavailableError
from domain.tokens import Revocation, TokenClaims

log = logging.getLogger("ballast.failover")
FILL_BATCH = 500  # revocation keys a fill reads at a time (SCAN, then one MGET)
FILL_STEP = 64  # revocations a fill adds between two pauses for the requests


class ReplicatedRevocationList:
    """Every instance holds all unexpired revocations in memory.

    Filled from Redis at start and on every recovery (which also writes back what Redis
    lacks, e.g. after it restarted empty), and kept current by pub/sub in between. A
    revocation is recorded locally first, so it holds at once on this instance whatever
    Redis does; with Redis down it is journaled like any write.

    The fill runs in the background, batch by batch, so that an instance serves at once
    however much is revoked. Until the first fill is complete, a token the replica does not
    know as revoked is asked about in Redis (three keys, one MGET); if Redis cannot answer
    then, the request is refused (503), never answered from a replica known to be partial.
    """

    def __init__(
        self,
        redis: RedisRevocationList,
        replica: MemoryRevocationList,
        failover: Failover,
        link: RedisLink,
    ) -> None:
        self._redis, self._replica, self._failover, self._link = redis, replica, failover, link
        self._feed = Feed(
            link, "revocation_feed", lambda subscribed: redis.listen(subscribed, self._apply)
        )
        self._loader: asyncio.Task[None] | None = None
        self._partial = False  # the first fill has begun and not ended yet
        self._filled = False  # a fill has ended: the feed keeps the replica current since

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
        if await self._replica.is_revoked(claims):
            return True
        if not self._partial:
            return False
        try:
            return await self._link.call(lambda: self._redis.is_revoked(claims))
        except RedisUnavailableError:
            raise DependencyUnavailableError(
                "redis (revocations, still loading)", self._failover.retry_after
            ) from None

    @property
    def replica(self) -> MemoryRevocationList:
        return self._replica

    @property
    def complete(self) -> bool:
        """False while the first fill runs (checks then also ask Redis)."""
        return not self._partial

    async def resync(self) -> None:
        """Recovery hook: subscribe, then fill from Redis in the background and write back
        (no revocation falls between loading and subscribing)."""
        await self._feed.start()
        await self._stop_loader()
        # Until a first fill ends, the replica is known to be partial. A later fill (after
        # an outage) only adds what was revoked elsewhere meanwhile: the replica held all
        # the rest, so checks go on answering from it, as during the outage.
        self._partial = not self._filled
        # A fresh context: the fill outlives the recovery that starts it.
        self._loader = detached(self._fill(), "revocation_fill")

    async def loaded(self) -> None:
        """Waits for the fill under way, if any, to end (however it ends)."""
        if self._loader is not None:
            await asyncio.gather(self._loader, return_exceptions=True)

    async def _fill(self) -> None:
        # Before a first complete fill, everything held came from Redis or was journaled:
        # only a replica filled before can hold what a Redis (restarted empty) lacks.
        held_before = self._filled and len(self._replica) > 0
        started, loaded = time.perf_counter(), 0
        try:
            batches = aiter(self._redis.batches(FILL_BATCH))
            while True:
                async with asyncio.timeout(self._link.command_timeout * 4):
                    batch = await anext(batches, None)
                if batch is None:
                    break
                for start in range(0, len(batch), FILL_STEP):
                    step = time.perf_counter()
                    for revocation in batch[start : start + FILL_STEP]:
                        self._replica.add(revocation)
                    # Half the time at most: the requests' own Redis calls, bounded by the
                    # command timeout, must never wait long behind the fill.
                    await asyncio.sleep(time.perf_counter() - step)
                loaded += len(batch)
            # What this instance held before may be missing from Redis (it restarted
            # empty, or a replica without the latest writes was promoted).
            written = await self._write_back() if held_before else 0
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._link.lost("revocation_fill", e)
            return
        self._partial, self._filled = False, True
        log.info(
            "event=revocations_synced loaded=%d written_back=%d held=%d seconds=%.3f",
            loaded,
            written,
            len(self._replica),
            time.perf_counter() - started,
        )

    async def _write_back(self) -> int:
        local, written = self._replica.walk(), 0
        while chunk := list(itertools.islice(local, 1000)):
            await self._link.raw(functools.partial(self._redis.write_chunk, chunk))
            written += len(chunk)
        return written

    async def _stop_loader(self) -> None:
        if self._loader is not None:
            self._loader.cancel()
            await asyncio.gather(self._loader, return_exceptions=True)
            self._loader = None

    async def _apply(self, revocation: Revocation) -> None:
        """One announced revocation into the replica; one that fails is logged (by the
        supervisor) and the feed goes on."""
        await self._link.supervisor.attempt(
            "revocation_feed", lambda: self._replica.revoke(revocation)
        )

    async def stop(self) -> None:
        await self._stop_loader()
        await self._feed.stop()
