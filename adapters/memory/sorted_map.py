"""A bounded map whose keys are also kept sorted: the storage of the memory adapters that
page in key order (users by name, clients by id)."""

import bisect
from collections.abc import Iterator
from typing import Generic, TypeVar

from adapters.memory.ttl_map import TtlMap
from domain.errors import ConflictError
from domain.ports import Clock

V = TypeVar("V")


class SortedMap(Generic[V]):
    """Values by key, bounded like every memory adapter (`TtlMap`: when full the oldest
    written goes, counted in `dropped`), with the keys in a sorted list beside them, so
    that a page costs a bisect and the page rather than a sort of every key.

    An evicted key stays in the index until the index has grown to twice the entries
    (then it is rebuilt from them): a page skips it, and the rebuild is O(1) amortized
    per write.
    """

    def __init__(self, clock: Clock, max_entries: int, what: str) -> None:
        self._entries: TtlMap[V] = TtlMap(clock, max_entries)
        self._keys: list[str] = []
        self._what = what  # named by ConflictError

    def get(self, key: str) -> V | None:
        return self._entries.get(key)

    def add(self, key: str, value: V) -> None:
        """Raises ConflictError when `key` is held."""
        if self._entries.get(key) is not None:
            raise ConflictError(self._what, key)
        self.put(key, value)

    def put(self, key: str, value: V) -> None:
        self._entries.set(key, value)
        keys = self._keys
        i = bisect.bisect_left(keys, key)
        if i == len(keys) or keys[i] != key:
            keys.insert(i, key)
            if len(keys) > 2 * len(self._entries) + 64:
                self._keys = sorted(k for k, _, _ in self._entries.live_items())

    def remove(self, key: str) -> None:
        self._entries.pop(key)
        i = bisect.bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            del self._keys[i]

    def page(self, limit: int, after: str | None) -> tuple[tuple[V, ...], str | None]:
        """At most `limit` values in key order, after the key `after`; and the key to page
        on from (None when there is no more)."""
        keys = self._keys
        start = 0 if after is None else bisect.bisect_right(keys, after)
        found: list[tuple[str, V]] = []
        for i in range(start, len(keys)):
            value = self._entries.get(keys[i])
            if value is not None:
                found.append((keys[i], value))
                if len(found) > limit:
                    break
        shown = found[:limit]
        return tuple(v for _, v in shown), shown[-1][0] if len(found) > limit and shown else None

    def values(self) -> Iterator[V]:
        """Every value, in the order written."""
        return (value for _, value, _ in self._entries.live_items())

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def indexed(self) -> int:
        """Keys in the sorted index, evicted ones included (bounded by twice the entries)."""
        return len(self._keys)

    @property
    def dropped(self) -> int:
        return self._entries.dropped
