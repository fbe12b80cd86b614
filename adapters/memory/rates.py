"""The rate cache of a single process (and the fallback of the Redis one)."""

import math
from collections.abc import Sequence

from adapters.memory.ttl_map import TtlMap
from domain.ports import Clock
from domain.rates import RateTable

KEY = "table"


class MemoryRateCache:
    """One slot with a TTL: the last table put."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._slot: TtlMap[RateTable] = TtlMap(clock, max_entries=1)

    async def get(self) -> RateTable | None:
        return self._slot.get(KEY)

    async def put(self, table: RateTable, ttl: int) -> None:
        self._slot.set(KEY, table, ttl)

    def entry(self) -> tuple[RateTable, int] | None:
        """The table and the whole seconds it has left, to hand it on to another cache."""
        table, expires_at = self._slot.get(KEY), self._slot.expires_at(KEY)
        if table is None or expires_at is None:
            return None
        return table, max(1, math.ceil(expires_at - self._clock.now()))


class MemoryRateHistoryStore:
    """The days this process was given, by date: the shared store of a single process and
    the fallback of the Redis one."""

    def __init__(self) -> None:
        self._days: dict[str, RateTable] = {}

    async def all(self) -> list[RateTable]:
        return [self._days[day] for day in sorted(self._days)]

    async def add(self, tables: Sequence[RateTable]) -> None:
        self._days.update((t.as_of.isoformat(), t) for t in tables)
