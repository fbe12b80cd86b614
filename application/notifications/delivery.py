"""Delivery off the request path: a queue of due attempts, retried with exponential backoff,
and a sweep that finds again the pending deliveries a stopped process left behind."""

import asyncio
import contextlib
import contextvars
import functools
import heapq
import itertools
import logging
import random
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable

import attrs

from application.supervision import SUPERVISOR, Supervisor
from domain.errors import DeliveryError, DependencyUnavailableError
from domain.notifications import Notification, NotificationStatus
from domain.ports import Clock, DeliveryChannels, NotificationRepository

log = logging.getLogger("ballast.notifications")


@attrs.frozen
class RetryPolicy:
    """`max_attempts` tries within `max_age` seconds; the n-th retry waits up to
    base * 2**(n-1) seconds (at most `max_delay`), less a random share of up to `jitter`,
    so that receivers coming back from an outage are not hit by every retry at once. A
    receiver's Retry-After (on 429 or 503) is honoured when it asks for longer."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.5
    max_age: float = 86_400.0
    storage_retry: float = 1.0  # wait when the store cannot be reached (no attempt counted)
    # How long one worker holds a delivery without renewing it; renewed every third of it
    # while the attempt runs, so a live attempt is never taken over.
    lease: float = 60.0
    # A notification pending and untouched this long is nobody's any more: the sweep takes it.
    # Longer than the longest backoff, so a live worker's own retries come first.
    sweep_grace: float = 30.0
    sweep_interval: float = 10.0
    sweep_batch: int = 500
    stop_grace: float = 5.0  # at shutdown, deliveries in flight get this long to finish

    def delay(self, attempts: int, draw: float = 0.0) -> float:
        """The wait before the next attempt; `draw` in [0, 1) picks the jitter."""
        longest = float(min(self.base_delay * 2 ** max(attempts - 1, 0), self.max_delay))
        return longest * (1.0 - self.jitter * draw)

    def retry_in(self, attempts: int, draw: float, retry_after: float | None) -> float:
        backoff = self.delay(attempts, draw)
        return backoff if retry_after is None else max(backoff, retry_after)


@attrs.frozen(order=True)
class _Job:
    due: float
    seq: int
    notification_id: str = attrs.field(order=False)
    # A delivery outcome still to be stored (the store was down): written, never re-delivered.
    outcome: Notification | None = attrs.field(default=None, order=False)
    # The context it was queued in (the request that sent it: its id and trace, for the
    # delivery's log lines and the webhook's traceparent).
    context: contextvars.Context | None = attrs.field(default=None, order=False, eq=False)


@attrs.define
class DeliveryWorker:
    """One per process. `run()` and `sweep_periodically()` are the background tasks; tests
    call `sweep()` and `drain()` instead, which handle every job due by the clock, so retries
    are driven by advancing a fake clock.

    Every delivery is made under a lease on the notification, taken before reading it and
    renewed while the attempt runs, so two workers (two instances, or a sweep racing a
    retry) never deliver it at the same time and none delivers a state that is no longer
    pending. Each delivery is its own task: at most `concurrency` at once, at most
    `per_destination` of them to one receiver (the others wait parked, holding no slot), so
    a slow receiver delays only its own notifications."""

    repository: NotificationRepository
    channels: DeliveryChannels
    clock: Clock
    policy: RetryPolicy = RetryPolicy()
    concurrency: int = 16
    per_destination: int = 2
    # Told of every attempt: (channel, outcome) with outcome sent, retry or failed; for metrics.
    on_attempt: Callable[[str, str], None] | None = None
    owner: str = attrs.Factory(lambda: secrets.token_hex(8))  # this worker, in leases
    draw: Callable[[], float] = random.random
    _jobs: list[_Job] = attrs.Factory(list)
    _seq: "itertools.count[int]" = attrs.Factory(itertools.count)
    _wake: asyncio.Event = attrs.Factory(asyncio.Event)
    _lock: asyncio.Lock = attrs.Factory(asyncio.Lock)
    _tasks: set["asyncio.Task[None]"] = attrs.Factory(set)
    _in_flight: set[str] = attrs.Factory(set)
    _again: set[str] = attrs.Factory(set)
    # Attempts running per destination, and the jobs waiting for one of them to end.
    _busy: dict[str, int] = attrs.Factory(dict)
    _parked: dict[str, deque[_Job]] = attrs.Factory(dict)
    _parked_ids: set[str] = attrs.Factory(set)
    _stopping: bool = False
    delivered: int = 0
    failed: int = 0

    def enqueue(self, notification_id: str, delay: float = 0.0) -> None:
        due, seq = self.clock.now() + delay, next(self._seq)
        self._push(_Job(due, seq, notification_id, context=contextvars.copy_context()))

    def _push(self, job: _Job) -> None:
        heapq.heappush(self._jobs, job)
        self._wake.set()

    def __len__(self) -> int:
        """Deliveries waiting: queued, or parked until their receiver has room."""
        return len(self._jobs) + len(self._parked_ids)

    def next_due(self) -> float | None:
        return self._jobs[0].due if self._jobs else None

    def _start_due(self) -> int:
        """Starts a task for each job due now, as long as a slot is free."""
        started = 0
        now = self.clock.now()
        while self._jobs and self._jobs[0].due <= now and len(self._tasks) < self.concurrency:
            job = heapq.heappop(self._jobs)
            if job.outcome is None and job.notification_id in self._parked_ids:
                continue  # parked: it runs when its destination has room
            if job.outcome is None and job.notification_id in self._in_flight:
                self._again.add(job.notification_id)  # looked at again once this one ends
                continue
            self._in_flight.add(job.notification_id)
            task = asyncio.create_task(self._handle(job), context=job.context)
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._finished, job=job))
            started += 1
        return started

    def _finished(self, task: "asyncio.Task[None]", job: _Job) -> None:
        self._tasks.discard(task)
        self._wake.set()
        # A bug must not stop the worker: the one notification is logged and left alone.
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error(
                "event=delivery_crashed id=%s error=%s",
                job.notification_id,
                type(error).__name__,
                exc_info=error,
            )

    async def drain(self) -> int:
        """Handles every job due now (retries scheduled for later stay queued); returns how
        many deliveries it started."""
        async with self._lock:
            started = 0
            while True:
                started += self._start_due()
                if not self._tasks:
                    return started
                await asyncio.wait(set(self._tasks))

    async def sweep(self) -> int:
        """Queues the pending notifications nobody has touched for `sweep_grace` seconds
        (accepted or retried by a process that stopped); returns how many it queued."""
        before = self.clock.now() - self.policy.sweep_grace
        try:
            found = await self.repository.pending_before(before, self.policy.sweep_batch)
        except DependencyUnavailableError:
            log.warning("event=delivery_sweep_postponed reason=store_down")
            return 0
        held = self._in_flight | self._parked_ids | {job.notification_id for job in self._jobs}
        orphans = [notification_id for notification_id in found if notification_id not in held]
        for notification_id in orphans:
            self.enqueue(notification_id)
        if orphans:
            log.info("event=delivery_sweep queued=%d", len(orphans))
        return len(orphans)

    async def sweep_periodically(self, supervisor: Supervisor = SUPERVISOR) -> None:
        """Sweeps at once, then every `sweep_interval` seconds until stopped; a sweep that
        raises is logged by the supervisor and runs again at the next interval."""
        await supervisor.every(
            "delivery_sweep",
            self.policy.sweep_interval,
            self.sweep,
            at_once=True,
            running=lambda: not self._stopping,
        )

    async def run(self) -> None:
        """Until stopped: start what is due, then sleep until the next job is due, a new one
        arrives or a delivery ends. Jobs still queued at stop stay pending in the store, for
        a sweep to find; deliveries in flight are waited for (cancelled if `run` is)."""
        try:
            while not self._stopping:
                self._wake.clear()
                self._start_due()
                due = self.next_due() if len(self._tasks) < self.concurrency else None
                timeout = None if due is None else max(due - self.clock.now(), 0.0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
            while self._tasks:
                await asyncio.wait(set(self._tasks))
        finally:
            for task in self._tasks:
                task.cancel()

    def stop(self) -> None:
        """`run()` returns once the deliveries in flight are done; nothing new starts."""
        self._stopping = True
        self._wake.set()

    async def _handle(self, job: _Job) -> None:
        try:
            await self._handle_held(job)
        finally:
            self._in_flight.discard(job.notification_id)
            if job.notification_id in self._again:
                self._again.discard(job.notification_id)
                self.enqueue(job.notification_id)

    async def _handle_held(self, job: _Job) -> None:
        notification_id = job.notification_id
        if job.outcome is not None:
            if await self._store(job.outcome):
                await self._release(notification_id)
            return
        try:
            leased = await self.repository.claim_delivery(
                notification_id, self.owner, self.policy.lease
            )
            notification = await self.repository.get(notification_id) if leased else None
        except DependencyUnavailableError:
            log.warning("event=delivery_postponed id=%s reason=store_down", notification_id)
            self._push(attrs.evolve(job, due=self.clock.now() + self.policy.storage_retry))
            return
        if not leased:
            log.info("event=delivery_skipped id=%s reason=leased_elsewhere", notification_id)
            return
        if notification is None or notification.status is not NotificationStatus.PENDING:
            await self._release(notification_id)
            return
        if notification.next_due > self.clock.now():
            # Queued early (a redelivery, another process's sweep): the receiver asked for
            # time, or the backoff is not over; come back when it is.
            await self._release(notification_id)
            self.enqueue(notification_id, notification.next_due - self.clock.now())
            return
        destination = notification.destination
        if destination is not None and self._busy.get(destination, 0) >= self.per_destination:
            await self._release(notification_id)
            self._parked.setdefault(destination, deque()).append(job)
            self._parked_ids.add(notification_id)
            return
        async with self._occupying(destination), self._renewing(notification_id):
            outcome = await self._attempt(notification)
        if await self._store(outcome):
            await self._release(notification_id)
        self._log(outcome)

    @contextlib.asynccontextmanager
    async def _occupying(self, destination: str | None) -> AsyncIterator[None]:
        """Counts an attempt against its destination; when it ends, the destination's next
        parked job is due at once."""
        if destination is None:
            yield
            return
        self._busy[destination] = self._busy.get(destination, 0) + 1
        try:
            yield
        finally:
            self._busy[destination] -= 1
            if not self._busy[destination]:
                del self._busy[destination]
            waiting = self._parked.get(destination)
            if waiting:
                job = waiting.popleft()
                if not waiting:
                    del self._parked[destination]
                self._parked_ids.discard(job.notification_id)
                self._push(attrs.evolve(job, due=self.clock.now()))

    @contextlib.asynccontextmanager
    async def _renewing(self, notification_id: str) -> AsyncIterator[None]:
        """Renews the lease every third of its length while the attempt runs."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.policy.lease / 3)
                try:
                    kept = await self.repository.claim_delivery(
                        notification_id, self.owner, self.policy.lease
                    )
                except DependencyUnavailableError:
                    continue  # the lease still has two thirds to run; try again then
                if not kept:
                    log.warning("event=delivery_lease_lost id=%s", notification_id)
                    return

        renewal = asyncio.create_task(renew())
        try:
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal

    async def _attempt(self, notification: Notification) -> Notification:
        """Delivers once, unless the notification is past its age; the outcome says what
        comes next: sent, failed for good, or pending until `due_at`."""
        now = self.clock.now()
        policy = self.policy
        if now - notification.delivery_started >= policy.max_age:
            expired = f"not delivered within {policy.max_age:g} s"
            if notification.error:
                expired += f" (last error: {notification.error})"
            return notification.moved_to(NotificationStatus.FAILED, now, expired)
        try:
            await self.channels.deliver(notification)
            return notification.attempted(self.clock.now(), None)
        except DeliveryError as e:
            error, retry_after = e.reason, e.retry_after
        now = self.clock.now()
        outcome = notification.attempted(now, error)
        due = now + policy.retry_in(outcome.attempts, self.draw(), retry_after)
        if (
            outcome.attempts >= policy.max_attempts
            or due - outcome.delivery_started >= policy.max_age
        ):
            return outcome.moved_to(NotificationStatus.FAILED, now, error)
        return attrs.evolve(outcome, due_at=due)

    async def _store(self, outcome: Notification) -> bool:
        """False when the store is down: the outcome is kept and written later, and the
        lease stays held (until it expires) so nobody delivers the notification again."""
        try:
            await self.repository.update(outcome)
        except DependencyUnavailableError:
            job = _Job(self.clock.now() + self.policy.storage_retry, next(self._seq), outcome.id)
            self._push(attrs.evolve(job, outcome=outcome))
            return False
        if outcome.status is NotificationStatus.PENDING:
            self.enqueue(outcome.id, max(outcome.next_due - self.clock.now(), 0.0))
        return True

    async def _release(self, notification_id: str) -> None:
        # A lease left behind only delays a sweep until it expires.
        with contextlib.suppress(DependencyUnavailableError):
            await self.repository.release_delivery(notification_id, self.owner)

    def _log(self, n: Notification) -> None:
        if self.on_attempt is not None:
            outcome = {NotificationStatus.SENT: "sent", NotificationStatus.FAILED: "failed"}
            self.on_attempt(n.channel.value, outcome.get(n.status, "retry"))
        if n.status is NotificationStatus.SENT:
            self.delivered += 1
            log.info(
                "event=notification_sent id=%s channel=%s attempts=%d", n.id, n.channel, n.attempts
            )
        elif n.status is NotificationStatus.FAILED:
            self.failed += 1
            log.warning(
                "event=notification_failed id=%s channel=%s attempts=%d error=%s",
                n.id,
                n.channel,
                n.attempts,
                n.error,
            )
        else:
            log.info(
                "event=notification_retry id=%s channel=%s attempts=%d error=%s",
                n.id,
                n.channel,
                n.attempts,
                n.error,
            )
