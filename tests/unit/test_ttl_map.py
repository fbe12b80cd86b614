"""The bounded, expiring map behind every memory adapter."""

import pytest

from adapters.memory.ttl_map import TtlMap
from tests.fakes import FakeClock


def test_a_value_is_visible_until_its_ttl_and_gone_at_it() -> None:
    clock = FakeClock()
    entries: TtlMap[str] = TtlMap(clock, 10)
    entries.set("k", "v", ttl=30)

    clock.advance(29.9)
    assert entries.get("k") == "v"
    clock.advance(0.1)
    assert entries.get("k") is None


def test_a_value_without_ttl_stays_until_evicted() -> None:
    clock = FakeClock()
    entries: TtlMap[str] = TtlMap(clock, 10)
    entries.set("k", "v")

    clock.advance(10**9)

    assert entries.get("k") == "v"
    assert entries.expires_at("k") is None


def test_set_until_expires_at_the_given_instant() -> None:
    clock = FakeClock()
    entries: TtlMap[str] = TtlMap(clock, 10)
    entries.set_until("k", "v", clock.now() + 5)

    assert entries.expires_at("k") == clock.now() + 5
    clock.advance(5)
    assert entries.get("k") is None


def test_when_full_the_oldest_entry_is_dropped_and_counted() -> None:
    entries: TtlMap[int] = TtlMap(FakeClock(), 3)

    for i in range(5):
        entries.set(f"k{i}", i)

    assert len(entries) == 3
    assert entries.dropped == 2
    assert [entries.get(f"k{i}") for i in range(5)] == [None, None, 2, 3, 4]


def test_rewriting_a_key_makes_it_the_newest() -> None:
    entries: TtlMap[int] = TtlMap(FakeClock(), 2)
    entries.set("a", 1)
    entries.set("b", 2)

    entries.set("a", 10)
    entries.set("c", 3)

    assert (entries.get("a"), entries.get("b"), entries.get("c")) == (10, None, 3)
    assert entries.dropped == 1


def test_expired_entries_are_swept_so_they_do_not_count_as_dropped() -> None:
    clock = FakeClock()
    entries: TtlMap[int] = TtlMap(clock, 8)
    for i in range(8):
        entries.set(f"old{i}", i, ttl=1)
    clock.advance(1)

    for i in range(8):
        entries.set(f"new{i}", i, ttl=60)

    assert entries.dropped == 0
    assert len(entries) == 8
    assert [entries.get(f"new{i}") for i in range(8)] == list(range(8))


def test_pop_removes_and_returns_a_live_value_only() -> None:
    clock = FakeClock()
    entries: TtlMap[str] = TtlMap(clock, 10)
    entries.set("live", "v", ttl=10)
    entries.set("dead", "w", ttl=1)
    clock.advance(1)

    assert entries.pop("live") == "v"
    assert entries.get("live") is None
    assert entries.pop("dead") is None
    assert entries.pop("missing") is None


def test_live_items_lists_only_unexpired_entries_with_their_expiry() -> None:
    clock = FakeClock()
    entries: TtlMap[str] = TtlMap(clock, 10)
    entries.set("short", "a", ttl=1)
    entries.set("long", "b", ttl=100)
    entries.set("forever", "c")
    clock.advance(1)

    assert list(entries.live_items()) == [
        ("long", "b", clock.now() + 99),
        ("forever", "c", None),
    ]


def test_a_map_must_hold_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="positive"):
        TtlMap(FakeClock(), 0)


def test_a_map_that_must_not_evict_keeps_growing_and_says_it_is_over_its_bound() -> None:
    clock = FakeClock()
    entries: TtlMap[int] = TtlMap(clock, max_entries=4, evict=False)
    for i in range(10):
        entries.set(f"k{i}", i, ttl=60)

    assert [entries.get(f"k{i}") for i in range(10)] == list(range(10))
    assert (len(entries), entries.over_bound, entries.dropped) == (10, True, 0)

    clock.advance(61)
    entries.sweep()
    assert (len(entries), entries.over_bound) == (0, False)
