"""The bounded map with sorted keys behind the user directory and the client registry: it
pages like a sort of what it holds, however it got there, and its index stays bounded."""

from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory.sorted_map import SortedMap
from domain.errors import ConflictError
from tests.fakes import FakeClock

KEYS = st.sampled_from([f"k{i:02d}" for i in range(40)])
STEPS = st.lists(st.tuples(st.sampled_from(["put", "remove"]), KEYS, st.integers(0, 9)))


def reference(steps: list[tuple[str, str, int]], bound: int) -> OrderedDict[str, int]:
    """What the map must hold: the `bound` most recently written keys, less the removed."""
    held: OrderedDict[str, int] = OrderedDict()
    for op, key, value in steps:
        if op == "put":
            held[key] = value
            held.move_to_end(key)
            while len(held) > bound:
                held.popitem(last=False)
        else:
            held.pop(key, None)
    return held


def all_pages(entries: SortedMap[int], limit: int) -> list[tuple[int, ...]]:
    pages, after = [], None
    while True:
        items, after = entries.page(limit, after)
        pages.append(items)
        if after is None:
            return pages


@settings(max_examples=200, deadline=None)
@given(STEPS, st.integers(1, 12), st.integers(1, 7))
def test_pages_hold_what_a_sort_of_the_entries_gives(
    steps: list[tuple[str, str, int]], bound: int, limit: int
) -> None:
    entries: SortedMap[int] = SortedMap(FakeClock(), bound, "thing")
    for op, key, value in steps:
        entries.put(key, value) if op == "put" else entries.remove(key)
    held = reference(steps, bound)
    expected = [held[k] for k in sorted(held)]

    pages = all_pages(entries, limit)

    assert [v for page in pages for v in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
    assert len(entries) == len(held)
    assert sorted(entries.values()) == sorted(held.values())


def test_a_page_starts_after_a_key_that_is_not_held() -> None:
    entries: SortedMap[str] = SortedMap(FakeClock(), 10, "thing")
    for key in ("b", "d", "f"):
        entries.put(key, key.upper())
    assert entries.page(1, "c") == (("D",), "d")
    assert entries.page(5, "d") == (("F",), None)
    assert entries.page(5, "z") == ((), None)


def test_adding_a_held_key_is_a_conflict_naming_what_it_holds() -> None:
    entries: SortedMap[str] = SortedMap(FakeClock(), 10, "client")
    entries.add("c1", "first")
    with pytest.raises(ConflictError) as raised:
        entries.add("c1", "second")
    assert "client" in str(raised.value)
    assert entries.get("c1") == "first"


def test_the_index_of_a_full_map_stays_bounded_and_pages_skip_the_evicted() -> None:
    entries: SortedMap[int] = SortedMap(FakeClock(), 10, "thing")
    for i in range(1_000):
        entries.add(f"k{i:04d}", i)
    assert entries.indexed <= 2 * 10 + 64
    assert entries.dropped == 990
    assert entries.page(100, None) == (tuple(range(990, 1_000)), None)
