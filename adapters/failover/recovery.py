"""Recovery, in order, while the breaker is half open (requests still on the fallbacks):
fresh connections, the server's identity (another server gets the recent writes again),
the hooks (revocation resync, ...), then the journal replay, last, so that what the hooks
and concurrent requests journaled is replayed too; the breaker closes right after the
journal is seen empty."""

import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from adapters.failover.breaker import BreakerState, CircuitBreaker
from adapters.failover.counters import LinkCounters
from adapters.failover.identity import ServerIdentity
from adapters.failover.journal import ReplayJournal
from adapters.failover.redis_errors import (
    LINK_ERRORS,
    RECOVERY_ERRORS,
    RedisUnavailableError,
    is_outage,
    stops_replay,
)
from application.supervision import Supervisor

log = logging.getLogger("ballast.failover")
T = TypeVar("T")
Hook = Callable[[], Awaitable[None]]
Bounded = Callable[[Callable[[], Awaitable[T]]], Awaitable[T]]

# Set while recovery runs: its calls reach Redis although the breaker is half open, while
# concurrent requests (other tasks, other contexts) stay on the fallbacks.
_recovering: contextvars.ContextVar[bool] = contextvars.ContextVar("recovering", default=False)


def recovering() -> bool:
    return _recovering.get()


@contextlib.contextmanager
def recovering_calls() -> Iterator[None]:
    token = _recovering.set(True)
    try:
        yield
    finally:
        _recovering.reset(token)


class Recovery:
    def __init__(
        self,
        client: Any,
        breaker: CircuitBreaker,
        journal: ReplayJournal,
        identity: ServerIdentity,
        counters: LinkCounters,
        bounded: Bounded[Any],
        supervisor: Supervisor,
    ) -> None:
        self.client = client
        self.breaker = breaker
        self.journal = journal
        self.identity = identity
        self.counters = counters
        self.bounded = bounded  # a call that ignores the breaker, bounded in time
        self.supervisor = supervisor
        self.hooks: list[tuple[str, Hook]] = []
        self.distrusted_at: float | None = None  # when the breaker last left CLOSED

    def distrusted(self) -> None:
        self.distrusted_at = time.monotonic()

    async def run(self) -> bool:
        """One attempt; True when the breaker closed."""
        await self.fresh_connections()
        if not await self.ping():
            return False
        if await self.identity.renew(self.bounded):
            # Another server (or one that cannot say: a cluster, whose failovers show only
            # as failed calls): what it may lack of the recent acknowledged writes is
            # written again. A first start has an empty window.
            since = self.distrusted_at if self.distrusted_at is not None else time.monotonic()
            requeued = self.journal.requeue_recent(since)
            if requeued:
                log.warning("event=recent_writes_requeued writes=%d", requeued)
        self.breaker.half_open()
        with recovering_calls():
            for name, hook in [*self.hooks, ("replay", self.replay)]:
                if not await self._step(name, hook):
                    return False
        if self.breaker.state is not BreakerState.HALF_OPEN:
            # Tripped while recovering (the revocation feed lost its subscription, a
            # server change): closing now would leave that unrepaired; recover again.
            log.warning("event=recovery_interrupted")
            return False
        self.breaker.close()  # no await since the journal was seen empty
        return True

    async def _step(self, name: str, hook: Hook) -> bool:
        """False when the step met an outage; a data error is a bug in the step, logged
        (Redis itself serves)."""
        try:
            await hook()
        except RECOVERY_ERRORS as e:
            if isinstance(e, RedisUnavailableError) or is_outage(e):
                log.warning("event=recovery_failed step=%s error=%s", name, type(e).__name__)
                return False
            self.supervisor.failed(f"recovery:{name}", e)
        return True

    async def fresh_connections(self) -> None:
        """Connections in the pool may be dead (server restarted): start them afresh, or
        each would fail one request after the breaker closes."""
        pool = getattr(self.client, "connection_pool", None)
        if pool is not None:
            with contextlib.suppress(*LINK_ERRORS):
                await pool.disconnect()

    async def ping(self) -> bool:
        started = time.perf_counter()
        try:
            await self.bounded(self.client.ping)
        except LINK_ERRORS:
            return False
        self.counters.answered(started)
        return True

    async def replay(self) -> None:
        await self.journal.replay(stops_replay)
