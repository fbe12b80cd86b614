"""The one cache type: bounded at its size whatever is put in it, the least recently used
entry going first, and counted by name for the size metric."""

import gc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.bounded_cache import BoundedCache, cache_sizes

OPERATIONS = st.lists(st.tuples(st.booleans(), st.integers(0, 20)), max_size=200)


@given(st.integers(1, 8), OPERATIONS)
def test_never_more_than_its_bound_and_the_newest_is_always_there(
    bound: int, operations: list[tuple[bool, int]]
) -> None:
    cache: BoundedCache[int, str] = BoundedCache("test", bound)
    kept: list[int] = []  # least recently used first
    for is_put, key in operations:
        if is_put:
            cache.put(key, str(key))
            kept = [k for k in kept if k != key] + [key]
            kept = kept[-bound:]
            assert cache.get(key) == str(key)
        elif key in kept:
            assert cache.get(key) == str(key)
            kept = [k for k in kept if k != key] + [key]
        else:
            assert cache.get(key) is None
        assert len(cache) == len(kept) <= bound


def test_at_its_bound_the_least_recently_used_entry_goes() -> None:
    cache: BoundedCache[str, int] = BoundedCache("test", 3)
    for i, key in enumerate("abc"):
        cache.put(key, i)
    assert cache.get("a") == 0  # now the most recently used
    cache.put("d", 3)
    assert (cache.get("b"), cache.get("a"), cache.get("c"), cache.get("d")) == (None, 0, 2, 3)
    assert (len(cache), cache.evicted) == (3, 1)
    assert "b" not in cache and "a" in cache
    cache.clear()
    assert len(cache) == 0


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        BoundedCache("test", 0)


def test_sizes_are_counted_by_name_over_live_caches_only() -> None:
    first: BoundedCache[int, int] = BoundedCache("sizes-test", 10)
    second: BoundedCache[int, int] = BoundedCache("sizes-test", 10)
    for i in range(4):
        first.put(i, i)
    second.put(0, 0)
    assert cache_sizes()["sizes-test"] == 5
    del second
    gc.collect()
    assert cache_sizes()["sizes-test"] == 4
