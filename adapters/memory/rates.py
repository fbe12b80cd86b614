"""The rate cache of a single process (and the fallback of the Redis one)."""

from adapters.memory.ttl_map import TtlMap
from domain.ports import Clock
from domain.rates import RateTable

KEY = "table"


class MemoryRateCache:
    """One slot with a TTL: the last table put."""

    def __init__(self, clock: Clock) -> None:
        self._slot: TtlMap[RateTable] = TtlMap(clock, max_entries=1)

    async def get(self) -> RateTable | None:
        return self._slot.get(KEY)

    async def put(self, table: RateTable, ttl: int) -> None:
        self._slot.set(KEY, table, ttl)
