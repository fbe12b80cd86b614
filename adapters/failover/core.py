"""The failover mechanism every failover adapter uses: try Redis through the link, fall
back to memory (or fail closed), and journal writes for replay."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from adapters.failover.journal import Replay, ReplayJournal
from adapters.failover.link import RedisLink
from adapters.failover.redis_errors import RedisUnavailableError
from domain.errors import DependencyUnavailableError

T = TypeVar("T")
Op = Callable[[], Awaitable[T]]


class Failover:
    """One per capability, sharing its link's breaker and journal with the others.

    `fail_closed` turns every fallback into a 503 (with Retry-After); `journal=None` is for
    disposable state (caches, rate limits), whose fallback writes are not replayed.
    """

    def __init__(
        self,
        link: RedisLink,
        capability: str,
        fail_closed: bool = False,
        journal: ReplayJournal | None = None,
        retry_after: int = 5,
    ) -> None:
        self.link = link
        self.capability = capability
        self.fail_closed = fail_closed
        self.journal = journal
        self.retry_after = retry_after

    async def read(self, primary: Op[T], fallback: Op[T]) -> T:
        """`primary` asks Redis; `fallback` runs when Redis cannot answer."""
        try:
            return await self.link.call(primary)
        except RedisUnavailableError:
            if self.link.recovering:
                raise
            return await self._fallback(fallback)

    async def write(
        self,
        primary: Op[T],
        fallback: Op[T],
        replay: tuple[str, Replay] | None = None,
        repeat: Replay | None = None,
    ) -> T:
        """Like `read`, for a write; a fallback write also queues `replay` (name, idempotent
        coroutine function) to run against Redis when it returns. Without `replay` (disposable
        state: caches, counters, leases) the fallback write is simply not replayed.

        `repeat`: a coroutine function that is safe to run however late, even after Redis
        took the write (it never undoes a newer state): once Redis acknowledges the write,
        it goes in the journal's recent window, run again if the link finds another server
        answering (see ReplayJournal)."""
        try:
            result = await self.link.call(primary)
        except RedisUnavailableError:
            if self.link.recovering:
                raise
            result = await self._fallback(fallback)
            if replay is not None and self.journal is not None:
                self.journal.append(self.capability, *replay)
                self.link.behind()
            return result
        if repeat is not None and replay is not None:
            self._acknowledged(replay[0], repeat)
        return result

    def _acknowledged(self, operation: str, repeat: Replay) -> None:
        if self.journal is None:
            return
        self.journal.acknowledged(self.capability, operation, repeat)
        if not self.link.is_up and not self.link.recovering:
            # The breaker opened while the write was on its way: it may have reached a
            # server the link is leaving, so it goes in line for the next replay as well.
            self.journal.append(self.capability, operation, repeat)

    async def defer(
        self, primary: Op[None], replay: tuple[str, Replay], repeat: Replay | None = None
    ) -> None:
        """For a write that must reach Redis eventually and has nothing to do in memory
        (e.g. undoing a claim): now if Redis answers, else journaled. Never refused, not
        even under fail_closed: refusing would leave Redis wrong after the outage.
        `repeat` as for `write`."""
        try:
            await self.link.call(primary)
        except RedisUnavailableError:
            if self.link.recovering or self.journal is None:
                raise
            self.journal.append(self.capability, *replay)
            self.link.behind()
            return
        if repeat is not None:
            self._acknowledged(replay[0], repeat)

    async def _fallback(self, fallback: Op[T]) -> T:
        if self.fail_closed:
            raise DependencyUnavailableError(f"redis ({self.capability})", self.retry_after)
        self.link.counters.count_fallback(self.capability)
        return await fallback()
