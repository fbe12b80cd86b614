"""The one cache: what was computed from a request's own words, kept for the next request
that says the same, bounded in entries no request can move (the least recently used goes).
Every live cache is counted by name for /metrics (`ballast_cache_entries`)."""

import weakref
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_live: "weakref.WeakSet[BoundedCache[object, object]]" = weakref.WeakSet()


class BoundedCache(Generic[K, V]):
    __slots__ = ("__weakref__", "_items", "evicted", "max_entries", "name")

    def __init__(self, name: str, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.name = name
        self.max_entries = max_entries
        self.evicted = 0  # entries dropped to make room
        self._items: OrderedDict[K, V] = OrderedDict()
        _live.add(self)  # type: ignore[arg-type]

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        items = self._items
        items[key] = value
        items.move_to_end(key)
        if len(items) > self.max_entries:
            items.popitem(last=False)
            self.evicted += 1

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        """Whether `key` is held (not a use: its place in the order is unchanged)."""
        return key in self._items


def cache_sizes() -> dict[str, int]:
    """Entries held, by cache name, over every live cache of this process."""
    sizes: dict[str, int] = {}
    for cache in list(_live):
        sizes[cache.name] = sizes.get(cache.name, 0) + len(cache)
    return sizes
