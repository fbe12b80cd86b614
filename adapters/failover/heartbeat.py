"""The heartbeat: opens the breaker when Redis stops answering, or when another server
answers, so that a silent hang or a failover is found before a request finds it."""

import asyncio
import logging
import time
from collections.abc import Callable

from adapters.failover.breaker import BreakerState, CircuitBreaker
from adapters.failover.counters import LinkCounters
from adapters.failover.identity import ServerIdentity
from adapters.failover.redis_errors import LINK_ERRORS, TIMEOUTS, is_outage

log = logging.getLogger("ballast.failover")
# Heartbeat PINGs unanswered in a row (timed out) that open the breaker.
MISSES_TO_OPEN = 2


class Heartbeat:
    """One beat: while the breaker is closed, the server's identity within `timeout`.
    A refused or reset connection opens the breaker at once; a beat unanswered twice in a
    row does too (once could be this process being slow, not Redis)."""

    def __init__(
        self,
        breaker: CircuitBreaker,
        identity: ServerIdentity,
        counters: LinkCounters,
        timeout: float,
        behind: Callable[[], bool],
    ) -> None:
        self.breaker = breaker
        self.identity = identity
        self.counters = counters
        self.timeout = timeout
        self._behind = behind  # True when the journal holds writes Redis lacks
        self.misses = 0
        self.stopped = False

    async def beat(self) -> None:
        if self.breaker.state is not BreakerState.CLOSED or self.stopped:
            self.misses = 0
            return
        if self._behind():
            return  # a safety net: journaling opens the breaker already
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                run_id = await self.identity.ask()
        except LINK_ERRORS as e:
            if not is_outage(e):
                raise
            self._missed(e)
            return
        self.misses = 0
        self.counters.answered(started)
        announced = await self.identity.sentinel.announced()
        if self.identity.changed(run_id, announced):
            # Another server answers, or the sentinels announce another master (a replica
            # was promoted, or Redis restarted between two beats): what was written to the
            # old one after the replica's last sync is gone, and the old master must not
            # be written to any more; recover as after an outage (resync, write-back,
            # the recent window repeated).
            log.warning(
                "event=redis_server_changed announced=%s", announced != self.identity.announced
            )
            self.breaker.trip()

    def _missed(self, error: BaseException) -> None:
        self.misses += 1
        if not isinstance(error, TIMEOUTS) or self.misses >= MISSES_TO_OPEN:
            log.warning(
                "event=redis_heartbeat_failed error=%s misses=%d", type(error).__name__, self.misses
            )
            self.breaker.trip()
