"""The failover rate cache: Redis first, memory behind it, never fail closed, never replayed
(a rate table is disposable: the next refresh writes a newer one)."""

from collections.abc import Awaitable, Callable, Sequence

from adapters.failover.core import Failover
from adapters.memory.rates import MemoryRateCache, MemoryRateHistoryStore
from adapters.redis.rates import RedisRateCache, RedisRateHistoryStore
from domain.rates import RateTable


async def _also_to_redis(failover: Failover, write: Callable[[], Awaitable[None]]) -> None:
    """A write already made in memory, copied to Redis when it answers; never journaled:
    the recovery hooks below write back what memory holds."""

    async def nothing_more() -> None:
        """Already in memory."""

    await failover.write(write, nothing_more, replay=None)


class FailoverRateCache:
    """Every table put is kept in memory too, so an outage still has the last one."""

    def __init__(self, redis: RedisRateCache, memory: MemoryRateCache, failover: Failover) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover

    async def get(self) -> RateTable | None:
        return await self._failover.read(self._redis.get, self._memory.get)

    async def put(self, table: RateTable, ttl: int) -> None:
        await self._memory.put(table, ttl)
        await _also_to_redis(self._failover, lambda: self._redis.put(table, ttl))

    async def restore(self) -> None:
        """Recovery hook: a Redis that comes back empty (or older) gets the last table again,
        so other instances need not wait for a refresh to find it."""
        entry = self._memory.entry()
        if entry is None:
            return
        table, ttl = entry
        shared = await self._redis.get()
        if shared is None or shared.fetched_at < table.fetched_at:
            await self._redis.put(table, ttl)


class FailoverRateHistoryStore:
    """Days are kept in memory too; a Redis that comes back without them (empty, or an
    outage swallowed the write) gets them again at recovery."""

    def __init__(
        self, redis: RedisRateHistoryStore, memory: MemoryRateHistoryStore, failover: Failover
    ) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover

    async def all(self) -> list[RateTable]:
        return await self._failover.read(self._redis.all, self._memory.all)

    async def add(self, tables: Sequence[RateTable]) -> None:
        await self._memory.add(tables)
        await _also_to_redis(self._failover, lambda: self._redis.add(tables))

    async def restore(self) -> None:
        """Recovery hook: writes back every day this process holds (idempotent)."""
        days = await self._memory.all()
        if days:
            await self._redis.add(days)
