"""The in-process rate limiter: exact for one process, the fallback of the shared one."""

from adapters.memory.ttl_map import TtlMap
from domain.ports import Clock
from domain.rate_limits import Quota, RateDecision, gcra


class MemoryRateLimiter:
    """GCRA over a bounded TTL map: one float per active key, gone once its quota refills."""

    def __init__(self, clock: Clock, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._tats: TtlMap[float] = TtlMap(clock, max_keys)

    async def hit(self, key: str, quota: Quota) -> RateDecision:
        now = self._clock.now()
        new_tat, decision = gcra(self._tats.get(key), now, quota)
        if new_tat is not None:
            self._tats.set_until(key, new_tat, new_tat)
        return decision

    @property
    def dropped(self) -> int:
        """Keys forgotten while still counting (the bound was reached): counted, not silent."""
        return self._tats.dropped

    def __len__(self) -> int:
        return len(self._tats)
