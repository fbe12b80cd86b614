"""A bounded mapping whose entries expire: the storage of every memory adapter."""

import itertools
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

from domain.ports import Clock

V = TypeVar("V")


class TtlMap(Generic[V]):
    """Insertion-ordered; when full the oldest entry goes and is counted in `dropped`, unless
    `evict=False`: then nothing unexpired is ever dropped, and `over_bound` says the map has
    grown past `max_entries` (for what must never be forgotten early, like revocations).

    Expired entries are invisible at once and swept every `max_entries // 8` writes, so a
    sweep costs O(1) amortized per write.
    """

    def __init__(self, clock: Clock, max_entries: int, evict: bool = True) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._clock = clock
        self._max = max_entries
        self._sweep_every = max(1, max_entries // 8)
        self._evict = evict
        self._items: OrderedDict[str, tuple[V, float | None]] = OrderedDict()
        self._writes = 0
        self.dropped = 0

    def get(self, key: str, now: float | None = None) -> V | None:
        """`now`: the caller's reading of the clock, when it has one (saves reading it again)."""
        item = self._items.get(key)
        if item is None:
            return None
        value, expires_at = item
        if expires_at is not None and expires_at <= (self._clock.now() if now is None else now):
            del self._items[key]
            return None
        return value

    def set(self, key: str, value: V, ttl: float | None = None) -> None:
        """Stores `value` for `ttl` seconds (None: until evicted)."""
        expires_at = None if ttl is None else self._clock.now() + ttl
        self.set_until(key, value, expires_at)

    def set_until(self, key: str, value: V, expires_at: float | None) -> None:
        self._items[key] = (value, expires_at)
        self._items.move_to_end(key)
        self._writes += 1
        if self._writes >= self._sweep_every:
            self._writes = 0
            self.sweep()
        while self._evict and len(self._items) > self._max:
            self._items.popitem(last=False)
            self.dropped += 1

    def pop(self, key: str) -> V | None:
        value = self.get(key)
        self._items.pop(key, None)
        return value

    def sweep(self) -> None:
        now = self._clock.now()
        expired = [k for k, (_, exp) in self._items.items() if exp is not None and exp <= now]
        for key in expired:
            del self._items[key]

    def expires_at(self, key: str) -> float | None:
        item = self._items.get(key)
        return None if item is None else item[1]

    def live_items(self) -> Iterator[tuple[str, V, float | None]]:
        now = self._clock.now()
        for key, (value, exp) in list(self._items.items()):
            if exp is None or exp > now:
                yield key, value, exp

    def newest(self, count: int) -> Iterator[tuple[str, V]]:
        """Up to `count` live entries, most recently written first, without a full scan."""
        now = self._clock.now()
        for key in list(itertools.islice(reversed(self._items), count)):
            value, exp = self._items[key]
            if exp is None or exp > now:
                yield key, value

    def __len__(self) -> int:
        return len(self._items)

    @property
    def max_entries(self) -> int:
        return self._max

    @property
    def over_bound(self) -> bool:
        return len(self._items) > self._max
