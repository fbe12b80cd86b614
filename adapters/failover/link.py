"""One link per Redis server: a connection pool with short timeouts and one circuit breaker
that every Redis adapter on the link shares, the heartbeat that opens it when Redis stops
answering, and the background probe that closes it."""

import asyncio
import contextlib
import contextvars
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.exceptions import (
    ClusterDownError,
    DataError,
    PubSubError,
    ReadOnlyError,
    RedisClusterException,
    RedisError,
    ResponseError,
    SlotNotCoveredError,
    TryAgainError,
    WatchError,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.failover.breaker import BreakerState, CircuitBreaker
from adapters.failover.journal import ReplayJournal
from application.supervision import SUPERVISOR, Supervisor, detached

log = logging.getLogger("ballast.failover")
T = TypeVar("T")
Hook = Callable[[], Awaitable[None]]

# Everything a call through redis-py can raise that is about Redis (not a bug of the caller).
LINK_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    OSError,
    TimeoutError,
    RedisClusterException,
)
TIMEOUTS = (TimeoutError, RedisTimeoutError)
# At stop, how long writes still in the journal may take to reach Redis.
FLUSH_WITHIN = 5.0
# Heartbeat PINGs unanswered in a row (timed out) that open the breaker.
HEARTBEAT_MISSES_TO_OPEN = 2
# Error replies that mean "this server cannot serve now": an outage, not a bad command.
UNAVAILABLE_REPLIES = frozenset(
    {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "TRYAGAIN"}
)
# redis-py rewrites an error inside a pipeline as "Command # 2 (ZADD key ...) of pipeline
# caused error: ('BUSY ...',)": the command name and the reply code are read from that.
_PIPELINE_ERROR = re.compile(r"Command # \d+ \((\S+).*caused error: \(?['\"]?(\S+)", re.DOTALL)


def is_outage(error: BaseException) -> bool:
    """True for an availability failure (refused, reset, timed out, or a reply saying the
    server cannot serve now); False for an error caused by the command or its data."""
    if isinstance(error, ReadOnlyError | ClusterDownError | TryAgainError | SlotNotCoveredError):
        return True
    if isinstance(error, ResponseError):
        return _reply_code(error) in UNAVAILABLE_REPLIES
    if isinstance(error, DataError | WatchError | PubSubError):
        return False
    return isinstance(error, LINK_ERRORS)


def _reply_code(error: ResponseError) -> str:
    code = getattr(error, "status_code", None)
    if code:
        return str(code)
    text = str(error.args[0]) if error.args else ""
    pipelined = _PIPELINE_ERROR.match(text)
    return pipelined[2] if pipelined else text.split(" ", 1)[0]


def command_of(error: BaseException) -> str:
    """The Redis command an error reply answered (never its arguments, which hold user
    data): from redis-py's pipeline message, else from the failing call's frames."""
    text = str(error.args[0]) if error.args else ""
    pipelined = _PIPELINE_ERROR.match(text)
    if pipelined:
        return pipelined[1].upper()
    name: object = None
    tb = error.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_locals.get("command_name", name)
        tb = tb.tb_next
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    return name.split(" ", 1)[0].upper() if isinstance(name, str) and name else "unknown"


def _stops_replay(error: BaseException) -> bool:
    """A replay that meets an outage stops (and is tried again at the next recovery);
    any other failure is about that one entry."""
    return isinstance(error, RedisUnavailableError) or (
        isinstance(error, LINK_ERRORS) and is_outage(error)
    )


class RedisUnavailableError(Exception):
    """The call did not reach Redis (breaker open, refused, timed out, reset, budget spent)."""


class RedisCommandError(Exception):
    """Redis refused a command because of its data: a bug in the request or in Ballast.
    A 500 for that one request, never an outage (the breaker does not count it)."""

    def __init__(self, command: str) -> None:
        super().__init__(f"redis rejected a {command} command")
        self.command = command


# What the flush at stop may meet: Redis unreachable, whichever way.
FLUSH_ERRORS: tuple[type[BaseException], ...] = (*LINK_ERRORS, RedisUnavailableError)
# What a recovery step may raise and the recovery handles (an outage, or a data error).
RECOVERY_ERRORS: tuple[type[BaseException], ...] = (
    *LINK_ERRORS,
    RedisUnavailableError,
    RedisCommandError,
)


class RequestBudget:
    """How long one request has waited on Redis: at most one command timeout in total."""

    __slots__ = ("spent",)

    def __init__(self) -> None:
        self.spent = 0.0


# Set while recovery hooks run: their calls reach Redis although the breaker is half open,
# while concurrent requests (other tasks, other contexts) stay on the fallbacks.
_recovering: contextvars.ContextVar[bool] = contextvars.ContextVar("recovering", default=False)
# Set per HTTP request (by middleware): the request's Redis budget. None in background work.
_budget: contextvars.ContextVar[RequestBudget | None] = contextvars.ContextVar(
    "redis_budget", default=None
)


class request_budget:
    """One request's budget: once it has waited one command timeout on Redis in total
    (after its first timeout, at the latest), its remaining calls go straight to the
    fallbacks. A class, not a generator: entered on every HTTP request, and a generator's
    context manager costs several times more."""

    __slots__ = ("_token",)

    def __enter__(self) -> RequestBudget:
        budget = RequestBudget()
        self._token = _budget.set(budget)
        return budget

    def __exit__(self, *exc_info: object) -> None:
        _budget.reset(self._token)


class RedisLink:
    """Calls go through `call`: refused at once while the breaker is open or the request's
    budget is spent, bounded by the command timeout otherwise.

    A heartbeat (PING every `heartbeat_interval`, within `heartbeat_timeout`) opens the
    breaker when Redis stops answering, so that a silent hang is found before a request
    finds it. Recovery runs when the probe sees Redis answer again, while the breaker is
    half open (requests still on fallbacks): first the hooks (revocation resync, ...), then
    the journal replay, last, so that what the hooks and concurrent requests journaled is
    replayed too; the breaker closes right after the journal is empty.

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
        self.breaker = CircuitBreaker(failures_to_open, self._on_breaker_change)
        self.max_probe_interval = max_probe_interval
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.supervisor = supervisor
        self.latency_ms: float | None = None
        self.fallback_ops: dict[str, int] = {}
        self.command_errors = 0  # data errors Redis answered with: bugs, never outages
        self.budget_refusals = (
            0  # calls sent to the fallback because their request's budget was spent
        )
        self._recovery_hooks: list[tuple[str, Hook]] = []
        self._probe: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._heartbeat_misses = 0
        self._stopping = False
        self._server_id: str | None = None
        self._can_identify = hasattr(client, "connection_pool")  # not a cluster client
        self._announced: tuple[str, int] | None = None  # the master the sentinels announce
        self._distrusted_at: float | None = None  # when the breaker last left CLOSED

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
        budget = _budget.get()
        timeout = self.command_timeout
        if budget is not None:
            timeout -= budget.spent
            if timeout <= 0:
                self.budget_refusals += 1
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
        self.command_errors += 1
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

    def count_fallback(self, capability: str) -> None:
        self.fallback_ops[capability] = self.fallback_ops.get(capability, 0) + 1

    async def start(self) -> None:
        """Never blocks start-up on a dead Redis: one bounded attempt, then the probe."""
        self.breaker.state = BreakerState.HALF_OPEN
        recovered = False

        async def first_attempt() -> None:
            nonlocal recovered
            recovered = await self._recover()

        # A recovery step that raises (a bug) must not stop start-up: logged, and the probe
        # tries again like after any failed recovery.
        await self.supervisor.attempt("redis_probe", first_attempt)
        if not recovered:
            self.breaker.trip()
        self._heartbeat = detached(
            self.supervisor.every(
                "redis_heartbeat",
                self.heartbeat_interval,
                self.beat,
                running=lambda: not self._stopping,
            ),
            "redis_heartbeat",
        )

    async def stop(self) -> None:
        self._stopping = True
        for task in (self._heartbeat, self._probe):
            if task is not None:
                task.cancel()
                # Bounded: stopping must not hang on a task that lost its cancellation.
                await asyncio.wait(
                    {task}, timeout=self.heartbeat_interval + 4 * self.command_timeout
                )
        if len(self.journal):
            await self.supervisor.attempt("redis_flush", self._flush)
        with contextlib.suppress(*LINK_ERRORS):
            await self.client.aclose()

    async def _flush(self) -> None:
        """At stop, writes still in the journal go to Redis if it answers (bounded): the
        journal lives in this process and would end with it. Only the replay runs, not
        the recovery hooks (they would start the revocation feed again)."""
        pending = len(self.journal)
        pool = getattr(self.client, "connection_pool", None)
        token = _recovering.set(True)
        try:
            async with asyncio.timeout(FLUSH_WITHIN):
                if pool is not None:
                    with contextlib.suppress(*LINK_ERRORS):
                        await pool.disconnect()
                if await self._ping():
                    await self._replay()
        except FLUSH_ERRORS as e:
            log.warning("event=journal_flush_failed error=%s", type(e).__name__)
        finally:
            _recovering.reset(token)
        if len(self.journal):
            log.error("event=journal_lost_at_stop pending=%d", len(self.journal))
        else:
            log.info("event=journal_flushed_at_stop replayed=%d", pending)

    async def beat(self) -> None:
        """One heartbeat: while the breaker is closed, the server's run id (or a PING, see
        `_identify`) within `heartbeat_timeout`; another run id means another server.
        A refused or reset connection opens the breaker at once; a PING unanswered twice
        in a row does too (once could be this process being slow, not Redis)."""
        if self.breaker.state is not BreakerState.CLOSED or self._stopping:
            self._heartbeat_misses = 0
            return
        if len(self.journal):
            self.behind()  # a safety net: journaling opens the breaker already
            return
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.heartbeat_timeout):
                server_id = await self._identify()
        except LINK_ERRORS as e:
            if not is_outage(e):
                raise
            self._heartbeat_misses += 1
            timed_out = isinstance(e, TIMEOUTS)
            if not timed_out or self._heartbeat_misses >= HEARTBEAT_MISSES_TO_OPEN:
                log.warning(
                    "event=redis_heartbeat_failed error=%s misses=%d",
                    type(e).__name__,
                    self._heartbeat_misses,
                )
                self.breaker.trip()
            return
        self._heartbeat_misses = 0
        self.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        announced = await self._announced_master()
        if self._server_id is None:
            self._server_id = server_id
        if self._announced is None:
            self._announced = announced
        if server_id != self._server_id or announced not in (None, self._announced):
            # Another server answers, or the sentinels announce another master (a replica
            # was promoted, or Redis restarted between two beats): what was written to the
            # old one after the replica's last sync is gone, and the old master must not
            # be written to any more; recover as after an outage (resync, write-back,
            # the recent window repeated).
            log.warning("event=redis_server_changed announced=%s", announced != self._announced)
            self.breaker.trip()

    async def _announced_master(self) -> tuple[str, int] | None:
        """The master the sentinels announce now (None if not on Sentinel or none answers
        in time: a sentinel's trouble is not the data server's)."""
        pool = getattr(self.client, "connection_pool", None)
        sentinels = getattr(pool, "sentinel_manager", None)
        if sentinels is None:
            return None
        try:
            async with asyncio.timeout(self.heartbeat_timeout):
                host, port = await sentinels.discover_master(pool.service_name)  # type: ignore[union-attr]
        except LINK_ERRORS as e:
            log.debug("event=sentinel_lookup_failed error=%s", type(e).__name__)
            return None
        return str(host), int(port)

    async def _identify(self) -> str | None:
        """The answering server's run id (it changes with a restart or a promotion). A
        cluster's nodes each have one, so a cluster client only pings (its failovers show
        as failed calls); so does a user that may not run INFO."""
        if self._can_identify:
            try:
                info = await self.client.info("server")
                return str(info["run_id"])
            except (ResponseError, KeyError) as e:
                if isinstance(e, ResponseError) and is_outage(e):
                    raise
                self._can_identify = False
                log.warning("event=redis_identity_unavailable error=%s", type(e).__name__)
        await self.client.ping()
        return None

    def _on_breaker_change(self, before: BreakerState, after: BreakerState) -> None:
        if before is BreakerState.CLOSED:
            self._distrusted_at = time.monotonic()
        probing = self._probe is not None and not self._probe.done()
        if after is BreakerState.OPEN and not self._stopping and not probing:
            self._probe = self.supervisor.spawn("redis_probe", self._probe_loop)

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
        previous, self._server_id = self._server_id, None
        with contextlib.suppress(*LINK_ERRORS):
            self._server_id = await self.raw(self._identify)
        self._announced = await self._announced_master()
        if self._server_id is None or self._server_id != previous:
            # Another server (or one that cannot say: a cluster, whose failovers show only
            # as failed calls): what it may lack of the recent acknowledged writes is
            # written again. A first start has an empty window.
            since = self._distrusted_at if self._distrusted_at is not None else time.monotonic()
            requeued = self.journal.requeue_recent(since)
            if requeued:
                log.warning("event=recent_writes_requeued writes=%d", requeued)
        self.breaker.half_open()
        steps = [*self._recovery_hooks, ("replay", self._replay)]
        token = _recovering.set(True)
        try:
            for name, hook in steps:
                try:
                    await hook()
                except RECOVERY_ERRORS as e:
                    if isinstance(e, RedisUnavailableError) or is_outage(e):
                        log.warning(
                            "event=recovery_failed step=%s error=%s", name, type(e).__name__
                        )
                        return False
                    # A data error: a bug in this step, logged; Redis itself serves.
                    self.supervisor.failed(f"recovery:{name}", e)
        finally:
            _recovering.reset(token)
        if self.breaker.state is not BreakerState.HALF_OPEN:
            # Tripped while recovering (the revocation feed lost its subscription, a
            # server change): closing now would leave that unrepaired; recover again.
            log.warning("event=recovery_interrupted")
            return False
        self.breaker.close()  # no await since the journal was seen empty
        return True

    async def _replay(self) -> None:
        await self.journal.replay(_stops_replay)

    async def _probe_loop(self) -> None:
        delay = 0.05
        while not self._stopping and self.breaker.state is not BreakerState.CLOSED:
            await asyncio.sleep(delay)
            try:
                if await self._recover():
                    return
            finally:
                if not self.breaker.allows_requests:
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
