"""The probe: while the breaker is open, recovery is tried again and again, backing off up to
`max_interval`, until it closes the breaker. Requests never wait for it."""

import asyncio
from collections.abc import Awaitable, Callable

from adapters.failover.breaker import BreakerState, CircuitBreaker
from application.supervision import Supervisor


class Probe:
    FIRST_DELAY = 0.05

    def __init__(
        self,
        breaker: CircuitBreaker,
        recover: Callable[[], Awaitable[bool]],
        supervisor: Supervisor,
        max_interval: float,
    ) -> None:
        self.breaker = breaker
        self.recover = recover
        self.supervisor = supervisor
        self.max_interval = max_interval
        self.task: asyncio.Task[None] | None = None
        self.stopped = False

    def start(self) -> None:
        """At most one loop at a time (the breaker opened: it starts, unless running)."""
        if self.stopped or (self.task is not None and not self.task.done()):
            return
        self.task = self.supervisor.spawn("redis_probe", self._loop)

    async def _loop(self) -> None:
        delay = self.FIRST_DELAY
        while not self.stopped and self.breaker.state is not BreakerState.CLOSED:
            await asyncio.sleep(delay)
            try:
                if await self.recover():
                    return
            finally:
                if not self.breaker.allows_requests:
                    self.breaker.trip()
            delay = min(delay * 2, self.max_interval)
