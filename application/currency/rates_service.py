"""The current rate table of this process, and its refresh in the background."""

import asyncio
import datetime
import logging
from collections.abc import Callable, Sequence

import attrs

from application.supervision import SUPERVISOR, Supervisor, detached
from domain.errors import RatesFeedNotConfiguredError, RatesUnavailableError
from domain.ports import Clock, RateCache, RateHistoryStore, RateSource
from domain.rate_history import RateHistory
from domain.rates import RateOrigin, RateTable

log = logging.getLogger("ballast.currency")


@attrs.frozen
class RatesSnapshot:
    """The table a request is served from, and whether it is older than the TTL."""

    table: RateTable
    stale: bool


@attrs.define
class RatesService:
    """Requests read the table held here and never wait on Redis or the feed.

    A stale table is still served (marked stale) while one background task, at most, looks
    for a fresher one: the shared cache first, then the feed. A failed feed keeps the last
    good table; the built-in `fallback` is served only while nothing better was ever seen.
    """

    source: RateSource
    cache: RateCache
    clock: Clock
    fallback: RateTable
    ttl: int
    keep_for: int = 7 * 86_400
    retry_interval: float = 30.0
    supervisor: Supervisor = SUPERVISOR
    # Published days for conversions at a date: shared through `history_store`, and the
    # built-in ones (read on first use) under them.
    history_store: RateHistoryStore | None = None
    builtin_history: Callable[[], Sequence[RateTable]] = tuple
    _history: RateHistory = attrs.Factory(RateHistory)
    _builtin_loaded: asyncio.Task[None] | None = None
    _shared_loaded: bool = False
    _current: RateTable | None = None
    _task: asyncio.Task[None] | None = None
    _retry_at: float | None = None
    _last_failure: str | None = None

    def snapshot(self) -> RatesSnapshot:
        table = self._current or self.fallback
        now = self.clock.now()
        stale = table.is_stale(now, self.ttl)
        if stale:
            self._kick(now)
        return RatesSnapshot(table, stale)

    @property
    def refreshing(self) -> asyncio.Task[None] | None:
        """The refresh in flight, if any (tests and shutdown wait on it)."""
        return self._task if self._task is not None and not self._task.done() else None

    async def start(self, wait: float) -> None:
        """Look for a table at once; start-up waits for it at most `wait` seconds."""
        task = self._kick(self.clock.now(), force=True)
        if task is not None:
            await asyncio.wait({task}, timeout=wait)

    async def stop(self) -> None:
        task = self.refreshing
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def on(self, day: datetime.date) -> RateTable | None:
        """The table published on `day`, or the latest before it (None before any)."""
        if self._builtin_loaded is None:
            self._builtin_loaded = asyncio.get_running_loop().create_task(self._load_builtin())
        await asyncio.shield(self._builtin_loaded)
        return self._history.on_or_before(day)

    @property
    def history_starts(self) -> datetime.date | None:
        return self._history.first

    async def _load_builtin(self) -> None:
        days = await asyncio.to_thread(self.builtin_history)
        self._history.add(days, replace=False)  # what a feed published comes first

    async def load_shared_history(self) -> None:
        """Adopts the days other processes fetched (at start, and when Redis answers again)."""
        if self.history_store is not None:
            days = await self.history_store.all()
            self._history.add(attrs.evolve(t, source=RateOrigin.CACHE) for t in days)
            self._shared_loaded = True

    async def refresh(self) -> None:
        """One attempt: adopt a newer table from the cache; if still stale, fetch the feed."""
        if not self._shared_loaded:
            await self.load_shared_history()
        cached = await self.cache.get()
        if cached is not None and self._is_newer(cached):
            self._adopt(attrs.evolve(cached, source=RateOrigin.CACHE))
        now = self.clock.now()
        if self._current is not None and not self._current.is_stale(now, self.ttl):
            self._retry_at = None
            return
        try:
            publication = await self.source.fetch()
        except RatesUnavailableError as e:
            self._retry_at = now + self.retry_interval
            # Once per distinct reason, not every retry.
            repeated = e.reason == self._last_failure
            self._last_failure = e.reason
            if isinstance(e, RatesFeedNotConfiguredError):
                # Running on the built-in table by choice is not a fault.
                if not repeated:
                    log.info("event=rates_feed_not_configured table=fallback")
                return
            log.log(
                logging.DEBUG if repeated else logging.WARNING,
                "event=rates_feed_failed reason=%s retry_in=%s",
                e.reason,
                self.retry_interval,
            )
            return
        fetched = attrs.evolve(
            publication.latest, source=RateOrigin.LIVE, fetched_at=self.clock.now()
        )
        self._adopt(fetched)
        self._retry_at = None
        self._last_failure = None
        await self.cache.put(fetched, self.keep_for)
        await self._record(publication.days)

    async def _record(self, days: Sequence[RateTable]) -> None:
        """Keeps the days new to this process's history, and shares them."""
        known = set(self._history.days())
        new = [day for day in days if day.as_of not in known]
        self._history.add(days)
        if new and self.history_store is not None:
            await self.history_store.add(new)

    def _kick(self, now: float, force: bool = False) -> asyncio.Task[None] | None:
        if self.refreshing is not None:
            return self._task
        if not force and self._retry_at is not None and now < self._retry_at:
            return None
        self._task = detached(self._supervised_refresh(), "rates_refresh")
        return self._task

    async def _supervised_refresh(self) -> None:
        # A refresh that raises (a bug, a cache adapter without failover) is logged once per
        # distinct error by the supervisor; the next attempt waits its turn.
        if not await self.supervisor.attempt("rates_refresh", self.refresh):
            self._retry_at = self.clock.now() + self.retry_interval

    def _is_newer(self, table: RateTable) -> bool:
        return self._current is None or table.fetched_at > self._current.fetched_at

    def _adopt(self, table: RateTable) -> None:
        self._current = table
        log.info(
            "event=rates_adopted source=%s as_of=%s currencies=%d",
            table.source.value,
            table.as_of.isoformat(),
            len(table.rates),
        )
