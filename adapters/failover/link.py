"""One link per Redis server: a connection pool with short timeouts and one circuit breaker
that every Redis adapter on the link shares, plus the background probe that closes it."""

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.exceptions import RedisError

from adapters.failover.breaker import BreakerState, CircuitBreaker
from adapters.failover.journal import ReplayJournal

log = logging.getLogger("ballast.failover")
T = TypeVar("T")
Hook = Callable[[], Awaitable[None]]

# What a dead, hung or restarted server raises through redis-py.
LINK_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class RedisUnavailableError(Exception):
    """The call did not reach Redis (breaker open, refused, timed out, reset)."""


# Set while recovery hooks run: their calls reach Redis although the breaker is half open,
# while concurrent requests (other tasks, other contexts) stay on the fallbacks.
_recovering: contextvars.ContextVar[bool] = contextvars.ContextVar("recovering", default=False)


class RedisLink:
    """Calls go through `call`: refused at once while the breaker is open, bounded by the
    command timeout otherwise.

    Recovery runs when the probe sees Redis answer again, while the breaker is half open
    (requests still on fallbacks): first the hooks (revocation resync, ...), then the
    journal replay, last, so that what the hooks and concurrent requests journaled is
    replayed too; the breaker closes right after the journal is empty.
    """

    def __init__(
        self,
        client: Any,
        journal: ReplayJournal,
        command_timeout: float = 0.25,
        failures_to_open: int = 3,
        max_probe_interval: float = 0.5,
    ) -> None:
        self.client = client
        self.journal = journal
        self.command_timeout = command_timeout
        self.breaker = CircuitBreaker(failures_to_open, self._on_breaker_change)
        self.max_probe_interval = max_probe_interval
        self.latency_ms: float | None = None
        self.fallback_ops: dict[str, int] = {}
        self._recovery_hooks: list[tuple[str, Hook]] = []
        self._probe: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def is_up(self) -> bool:
        return self.breaker.allows_requests

    @property
    def recovering(self) -> bool:
        """True inside a recovery hook: failures must surface, not fall back."""
        return _recovering.get()

    def on_recovery(self, name: str, hook: Hook) -> None:
        """Run `hook` at start and every time Redis answers again, before requests use it.
        A hook talks to Redis with `raw`, or journals through its Failover."""
        self._recovery_hooks.append((name, hook))

    async def call(self, op: Callable[[], Awaitable[T]]) -> T:
        if not self.breaker.allows_requests and not _recovering.get():
            raise RedisUnavailableError("breaker open")
        try:
            async with asyncio.timeout(self.command_timeout):
                result = await op()
        except LINK_ERRORS as e:
            self.breaker.record_failure()
            log.debug("event=redis_call_failed error=%s", type(e).__name__)
            raise RedisUnavailableError(type(e).__name__) from e
        self.breaker.record_success()
        return result

    async def raw(self, op: Callable[[], Awaitable[T]]) -> T:
        """A call that ignores the breaker (recovery work), still bounded in time."""
        async with asyncio.timeout(self.command_timeout * 4):
            return await op()

    def count_fallback(self, capability: str) -> None:
        self.fallback_ops[capability] = self.fallback_ops.get(capability, 0) + 1

    async def start(self) -> None:
        """Never blocks start-up on a dead Redis: one bounded attempt, then the probe."""
        self.breaker.state = BreakerState.HALF_OPEN
        if not await self._recover():
            self.breaker.trip()

    async def stop(self) -> None:
        self._stopping = True
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
        with contextlib.suppress(*LINK_ERRORS):
            await self.client.aclose()

    def _on_breaker_change(self, before: BreakerState, after: BreakerState) -> None:
        probing = self._probe is not None and not self._probe.done()
        if after is BreakerState.OPEN and not self._stopping and not probing:
            self._probe = asyncio.get_running_loop().create_task(self._probe_loop())

    async def _ping(self) -> bool:
        started = time.perf_counter()
        try:
            await self.raw(self.client.ping)
        except LINK_ERRORS:
            return False
        self.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        return True

    async def _recover(self) -> bool:
        # Connections in the pool may be dead (server restarted): start them afresh, or
        # each would fail one request after the breaker closes.
        pool = getattr(self.client, "connection_pool", None)
        if pool is not None:
            with contextlib.suppress(*LINK_ERRORS):
                await pool.disconnect()
        if not await self._ping():
            return False
        self.breaker.half_open()
        steps = [*self._recovery_hooks, ("replay", self.journal.replay)]
        token = _recovering.set(True)
        try:
            for name, hook in steps:
                try:
                    await hook()
                except (*LINK_ERRORS, RedisUnavailableError) as e:
                    log.warning("event=recovery_failed step=%s error=%s", name, type(e).__name__)
                    return False
        finally:
            _recovering.reset(token)
        self.breaker.close()  # no await since the journal was seen empty
        return True

    async def _probe_loop(self) -> None:
        delay = 0.05
        while not self._stopping and self.breaker.state is not BreakerState.CLOSED:
            await asyncio.sleep(delay)
            if await self._recover():
                return
            self.breaker.trip()
            delay = min(delay * 2, self.max_probe_interval)

    async def ping_ms(self) -> float | None:
        """Latency of one PING for health checks; None when Redis is not in use."""
        if not self.breaker.allows_requests:
            return None
        started = time.perf_counter()
        try:
            await self.call(self.client.ping)
        except RedisUnavailableError:
            return None
        self.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        return self.latency_ms
