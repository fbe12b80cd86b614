"""The rate limiters behind the failover. Two kinds share one key space in Redis:

- `FailoverRateLimiter`, exact: one round trip per decision (the login limit).
- `SyncedRateLimiter`, approximate: decided in process, its hits exchanged with Redis in one
  script call per sync interval for the keys near their limit (the default limit). See its
  docstring for the bound on how far past a limit N instances can go.

During an outage each instance enforces its share of the limit (the limit divided by the
last known number of instances), so N instances on fallback do not let N times the traffic
through. Counters are disposable: never replayed, never failed closed."""

import asyncio
import contextlib
import logging
import math

import attrs

from adapters.failover.core import Failover
from adapters.failover.redis_errors import RedisUnavailableError
from adapters.memory.rate_limits import MemoryRateLimiter
from adapters.memory.ttl_map import TtlMap
from adapters.redis.rate_limits import RedisInstanceCensus, RedisRateLimiter
from domain.ports import Clock
from domain.rate_limits import Quota, RateDecision, gcra, remaining_at

log = logging.getLogger("ballast.failover")


class InstanceCount:
    """The last known number of live instances, kept current by a heartbeat into Redis."""

    def __init__(self, census: RedisInstanceCensus, failover: Failover) -> None:
        self._census = census
        self._failover = failover
        self.instances = 1
        self._share: tuple[Quota, int, Quota] | None = None

    def share(self, quota: Quota) -> Quota:
        """This instance's part of `quota` now. The last one made is kept: during an outage
        it is asked on every request, nearly always of the same quota."""
        kept, instances = self._share, self.instances
        if kept is not None and kept[0] is quota and kept[1] == instances:
            return kept[2]
        part = quota.share(instances)
        self._share = (quota, instances, part)
        return part

    async def beat(self) -> None:
        """One heartbeat; while Redis is down the last known count stays."""
        try:
            count = await self._failover.link.call(self._census.beat)
        except RedisUnavailableError:
            return
        if count != self.instances:
            log.info("event=instances_changed before=%d after=%d", self.instances, count)
        self.instances = max(1, count)

    async def leave(self) -> None:
        """At stop: no longer counted by the others (else they would wait out the TTL)."""
        with contextlib.suppress(RedisUnavailableError):
            await self._failover.link.call(self._census.leave)


class FailoverRateLimiter:
    def __init__(
        self,
        redis: RedisRateLimiter,
        memory: MemoryRateLimiter,
        failover: Failover,
        instances: InstanceCount,
    ) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover
        self._instances = instances

    async def hit(self, key: str, quota: Quota) -> RateDecision:
        share = self._instances.share(quota)
        return await self._failover.write(
            lambda: self._redis.hit(key, quota), lambda: self._memory.hit(key, share)
        )


# The `base` of a key no sync has told about: an arrival time long past, all of it left.
# One float for every such view (a client's first request makes one), not one each.
NEVER_SYNCED = 0.0


@attrs.define(weakref_slot=False)
class _View:
    """One key as this instance sees it: the shared arrival time at the last sync (`base`,
    on this instance's clock) and its own hits since (`used`, folded into `tat`). One per
    client seen lately: its slots hold shared objects where they can (the quota, the share
    of a new key, NEVER_SYNCED), so a view is its own object, `tat` and `kept_until`."""

    quota: Quota
    base: float
    tat: float
    used: int = 0
    # This instance's share of what the key had left, as last computed, and for how many
    # instances: the refill only adds to it, so it is computed again only once `used`
    # reaches it (or the number of instances changed), not on every hit.
    share: int = 0
    shared_by: int = 0
    # Until when the map keeps it: a while past `tat`, so that the hits of a client at a
    # steady pace change the view in place instead of moving its entry every time.
    kept_until: float = 0.0
    sent: int = 0  # of `used`, the hits already in a sync (in flight)


class SyncedRateLimiter:
    """Decides every request in process; shared across instances by a sync every `every`
    seconds that adds to Redis the hits of each key near its limit (half of this instance's
    share of it spent) and adopts the count it returns (such keys not at rest here are
    refreshed too, so none of them is older than one interval; a key at rest is decided as
    full). A key far from its limit costs no sync at all: a new client is one lookup and one
    insert, and the syncs carry only the keys that can matter, in one script call each (on a
    cluster one per bucket of keys: see RedisRateLimiter).

    Bound: between two syncs an instance lets through at most ceil(L / N) requests of a key,
    L being what the key had left at its last sync (with the refill since) and N the live
    instances. N instances together pass at most L + N - 1 per interval (Gubernator's GLOBAL
    mode lets each peer spend all of its cached L: N x L): the shares bound it, not the
    syncs, so keeping a key far from its share out of them loses nothing of the bound. Every
    hit of a key near its limit is charged at the next sync, and a lone instance is exact.
    When Redis is away the share applies (see module).
    """

    MAX_REFRESH = 1024
    KEEP = 1.0  # seconds a view is kept past its arrival time (memory only: see _View)

    def __init__(
        self,
        redis: RedisRateLimiter,
        memory: MemoryRateLimiter,
        failover: Failover,
        instances: InstanceCount,
        clock: Clock,
        max_keys: int = 100_000,
    ) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover
        self._instances, self._clock = instances, clock
        self._breaker = failover.link.breaker  # asked on every hit: one attribute away
        self._views: TtlMap[_View] = TtlMap(clock, max_keys)
        self._pending: dict[str, tuple[Quota, int]] = {}
        self._syncing = asyncio.Lock()
        self._fresh: tuple[Quota, int, int] | None = None  # see _fresh_share

    async def hit(self, key: str, quota: Quota) -> RateDecision:
        if not self._breaker.allows_requests:
            self._failover.link.counters.count_fallback(self._failover.capability)
            return await self._memory.hit(key, self._instances.share(quota))
        now = self._clock.now()
        view = self._views.get(key, now)
        instances = self._instances.instances
        if view is None or (view.quota is not quota and view.quota != quota):
            # A key at rest (a client under its rate): all of it is left.
            share = self._fresh_share(quota, instances)
            view = _View(quota, NEVER_SYNCED, now, 0, share, instances)
        new_tat, decision = gcra(view.tat, now, quota)
        if new_tat is None:
            return decision
        if view.used >= view.share or view.shared_by != instances:
            view.share = math.ceil(remaining_at(view.base, now, quota) / instances)
            view.shared_by = instances
            if view.used >= view.share:
                # This instance has spent its share of what was left: wait for the next sync.
                return RateDecision(False, quota.count, 0, decision.reset_after, quota.interval)
        view.tat, view.used = new_tat, view.used + 1
        if new_tat > view.kept_until:
            self._keep(key, view)
        pending = self._pending.get(key)
        if pending is not None:
            self._pending[key] = (quota, pending[1] + 1)
        elif 2 * view.used >= view.share:
            # Half of its share spent: from now on the key can matter to the others.
            self._pending[key] = (quota, view.used - view.sent)
        return decision

    def _fresh_share(self, quota: Quota, instances: int) -> int:
        """This instance's share of a key with all of it left: the same for every new client,
        so made once (an int above 256 is one more object per view)."""
        kept = self._fresh
        if kept is not None and kept[0] is quota and kept[1] == instances:
            return kept[2]
        share = -(-quota.count // instances)
        self._fresh = (quota, instances, share)
        return share

    async def sync(self) -> None:
        """One script call for the keys near their limit, touched since the last sync or still
        live here; on failure the hits are dropped (disposable, like the outage's counters).
        One sync at a time: replies of overlapping syncs could arrive out of order and an
        older count be adopted last."""
        async with self._syncing:
            await self._sync()

    async def _sync(self) -> None:
        if not self._failover.link.is_up:
            return
        batch = self._pending
        self._pending = {}
        now = self._clock.now()
        for key, view in self._views.newest(self.MAX_REFRESH):
            # A view at rest, or far from its share, needs nothing from the others.
            if view.tat > now and 2 * view.used >= view.share:
                batch.setdefault(key, (view.quota, 0))
        if not batch:
            return
        sent = [(key, quota, hits) for key, (quota, hits) in batch.items()]
        for key, _, _ in sent:
            if (in_flight := self._views.get(key, now)) is not None:
                in_flight.sent = in_flight.used
        try:
            ahead = await self._failover.link.call(lambda: self._redis.sync(sent))
        except RedisUnavailableError:
            return
        now = self._clock.now()
        for (key, quota, _), seconds in zip(sent, ahead, strict=True):
            _, since = self._pending.get(key, (quota, 0))  # let through while in flight
            base = now + seconds
            view = _View(quota, base, max(base, now) + since * quota.interval, since)
            if view.tat > now:
                self._keep(key, view)
            else:
                self._views.pop(key)

    def _keep(self, key: str, view: _View) -> None:
        view.kept_until = view.tat + self.KEEP
        self._views.set_until(key, view, view.kept_until)

    def __len__(self) -> int:
        return len(self._views)

    @property
    def dropped(self) -> int:
        """Views dropped because `max_keys` were held (their clients decided afresh), and
        keys the outage's fallback dropped."""
        return self._views.dropped + self._memory.dropped
