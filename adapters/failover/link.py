"""One link per Redis server: a connection pool with short timeouts and one circuit breaker
that every Redis adapter on the link shares, the heartbeat that opens it when Redis stops
answering, and the background probe that closes it."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from adapters.failover.breaker import BreakerState, CircuitBreaker
from adapters.failover.budget import RedisBudget
from adapters.failover.counters import LinkCounters
from adapters.failover.flush import flush_at_stop
from adapters.failover.heartbeat import Heartbeat
from adapters.failover.identity import SentinelMaster, ServerIdentity
from adapters.failover.journal import ReplayJournal
from adapters.failover.probe import Probe
from adapters.failover.recovery import Hook, Recovery, recovering
from adapters.failover.redis_errors import (
    LINK_ERRORS,
    TIMEOUTS,
    RedisCommandError,
    RedisUnavailableError,
    command_of,
    is_outage,
)
from application.supervision import SUPERVISOR, Supervisor, detached

log = logging.getLogger("ballast.failover")
T = TypeVar("T")


class RedisLink:
    """Calls go through `call`: refused at once while the breaker is open or the request's
    budget is spent, bounded by the command timeout otherwise.

    The heartbeat (heartbeat.py) opens the breaker when Redis stops answering; the probe
    (probe.py) runs the recovery (recovery.py) until it closes the breaker again.

    A server change (another run id, or the sentinels announcing another master) is an
    outage too, and its recovery also runs again the writes of the journal's recent window:
    Redis replicates asynchronously, so a promoted replica lacks what the old master had
    not sent it, and a Sentinel switch-over leaves the old master taking writes until it is
    demoted (Sentinel waits seconds before that), writes it then drops. Those writes were
    acknowledged here, and only here is it known which they were; stopping writing to the
    old master as soon as Sentinel announces the switch would not be enough on its own:
    the promotion comes before the announcement, and the heartbeat sees it a beat later.
    So the link does both: the heartbeat asks the sentinels which master they announce and
    drops its connections as soon as that changes, and the writes acknowledged in the
    window before (repeatable ones only: see Failover.write) go to the new master.
    """

    def __init__(
        self,
        client: Any,
        journal: ReplayJournal,
        command_timeout: float = 0.25,
        failures_to_open: int = 3,
        max_probe_interval: float = 0.5,
        heartbeat_interval: float = 0.5,
        heartbeat_timeout: float = 0.25,
        supervisor: Supervisor = SUPERVISOR,
    ) -> None:
        self.client = client
        self.journal = journal
        self.command_timeout = command_timeout
        self.heartbeat_interval = heartbeat_interval
        self.supervisor = supervisor
        self.counters = LinkCounters()
        self.breaker = CircuitBreaker(failures_to_open, self._on_breaker_change)
        identity = ServerIdentity(client, SentinelMaster(client, heartbeat_timeout))
        self.heartbeat = Heartbeat(
            self.breaker, identity, self.counters, heartbeat_timeout, self._catch_up
        )
        self.recovery = Recovery(
            client, self.breaker, journal, identity, self.counters, self.raw, supervisor
        )
        self.probe = Probe(self.breaker, self.recovery.run, supervisor, max_probe_interval)
        self._beating: asyncio.Task[None] | None = None

    @property
    def is_up(self) -> bool:
        return self.breaker.allows_requests

    @property
    def recovering(self) -> bool:
        """True inside a recovery step: failures must surface, not fall back."""
        return recovering()

    def on_recovery(self, name: str, hook: Hook) -> None:
        """Run `hook` at start and every time Redis answers again, before requests use it.
        A hook talks to Redis with `raw`, or journals through its Failover."""
        self.recovery.hooks.append((name, hook))

    async def call(self, op: Callable[[], Awaitable[T]]) -> T:
        if not self.breaker.allows_requests and not recovering():
            raise RedisUnavailableError("breaker open")
        budget = RedisBudget.current()
        timeout = self.command_timeout
        if budget is not None:
            timeout -= budget.spent
            if timeout <= 0:
                self.counters.budget_refusals += 1
                raise RedisUnavailableError("request budget spent")
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                result = await op()
        except LINK_ERRORS as e:
            if not is_outage(e):
                self.breaker.record_success()  # it answered: the server is up
                raise self._command_error(e) from None
            # A timeout cut short by the request's budget says little about the server.
            if timeout >= self.command_timeout or not isinstance(e, TIMEOUTS):
                self.breaker.record_failure()
            log.debug("event=redis_call_failed error=%s", type(e).__name__)
            raise RedisUnavailableError(type(e).__name__) from e
        finally:
            if budget is not None:
                budget.spent += time.perf_counter() - started
        self.breaker.record_success()
        return result

    def _command_error(self, error: BaseException) -> RedisCommandError:
        command = command_of(error)
        self.counters.command_errors += 1
        log.error("event=redis_command_error command=%s error=%s", command, type(error).__name__)
        return RedisCommandError(command)

    async def raw(self, op: Callable[[], Awaitable[T]]) -> T:
        """A call that ignores the breaker (recovery work), still bounded in time."""
        async with asyncio.timeout(self.command_timeout * 4):
            return await op()

    def behind(self) -> None:
        """A write was journaled: Redis lacks it until a recovery replays it. If the breaker
        is still closed (a lone timeout, a request's budget spent), open it now, so that
        requests stop using a Redis that is behind and the probe replays at once."""
        if self.breaker.state is BreakerState.CLOSED:
            log.warning("event=redis_behind pending=%d", len(self.journal))
            self.breaker.trip()

    def lost(self, task: str, e: Exception) -> None:
        """A replica's fill or feed that failed: what Redis holds is not all known here, so
        go through recovery, which resyncs everything and starts them again."""
        if isinstance(e, LINK_ERRORS) and is_outage(e):
            log.warning("event=%s_lost error=%s", task, type(e).__name__)
        else:
            self.supervisor.failed(task, e)
        self.breaker.trip()

    def _catch_up(self) -> bool:
        if not len(self.journal):
            return False
        self.behind()
        return True

    async def start(self) -> None:
        """Never blocks start-up on a dead Redis: one bounded attempt, then the probe."""
        self.breaker.state = BreakerState.HALF_OPEN
        recovered = False

        async def first_attempt() -> None:
            nonlocal recovered
            recovered = await self.recovery.run()

        # A recovery step that raises (a bug) must not stop start-up: logged, and the probe
        # tries again like after any failed recovery.
        await self.supervisor.attempt("redis_probe", first_attempt)
        if not recovered:
            self.breaker.trip()
        self._beating = detached(
            self.supervisor.every(
                "redis_heartbeat",
                self.heartbeat_interval,
                self.heartbeat.beat,
                running=lambda: not self.heartbeat.stopped,
            ),
            "redis_heartbeat",
        )

    async def stop(self) -> None:
        self.heartbeat.stopped = self.probe.stopped = True
        for task in (self._beating, self.probe.task):
            if task is not None:
                task.cancel()
                # Bounded: stopping must not hang on a task that lost its cancellation.
                await asyncio.wait(
                    {task}, timeout=self.heartbeat_interval + 4 * self.command_timeout
                )
        if len(self.journal):
            await self.supervisor.attempt("redis_flush", lambda: flush_at_stop(self.recovery))
        with contextlib.suppress(*LINK_ERRORS):
            await self.client.aclose()

    def _on_breaker_change(self, before: BreakerState, after: BreakerState) -> None:
        if before is BreakerState.CLOSED:
            self.recovery.distrusted()
        if after is BreakerState.OPEN:
            self.probe.start()

    async def ping_ms(self) -> float | None:
        """Latency of one PING for health checks; None when Redis is not in use."""
        if not self.breaker.allows_requests:
            return None
        started = time.perf_counter()
        try:
            await self.call(self.client.ping)
        except RedisUnavailableError:
            return None
        return self.counters.answered(started)
