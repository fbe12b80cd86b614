"""The replay journal: bounded, ordered, resumable."""

import time
from collections.abc import Awaitable, Callable

import pytest

from adapters.failover.journal import ReplayJournal

pytestmark = pytest.mark.anyio


async def test_replays_oldest_first_and_empties() -> None:
    journal = ReplayJournal()
    done: list[int] = []
    for i in range(3):

        async def op(i: int = i) -> None:
            done.append(i)

        journal.append("users", "op", op)
    assert await journal.replay() == 3
    assert done == [0, 1, 2]
    assert len(journal) == 0 and journal.replayed == 3


async def test_a_failed_replay_keeps_the_entry_first_in_line() -> None:
    journal = ReplayJournal()
    attempts: list[str] = []

    async def flaky() -> None:
        attempts.append("flaky")
        if len(attempts) == 1:
            raise ConnectionError("gone again")

    async def after() -> None:
        attempts.append("after")

    journal.append("tokens", "flaky", flaky)
    journal.append("tokens", "after", after)
    with pytest.raises(ConnectionError):
        await journal.replay()
    assert len(journal) == 2
    await journal.replay()
    assert attempts == ["flaky", "flaky", "after"]


async def test_a_full_journal_drops_the_oldest_and_counts_it() -> None:
    journal = ReplayJournal(max_entries=2)
    done: list[int] = []
    for i in range(5):

        async def op(i: int = i) -> None:
            done.append(i)

        journal.append("events", "op", op)
    assert journal.dropped == 3
    assert len(journal) == 2
    await journal.replay()
    assert done == [3, 4]


async def test_entries_added_during_replay_are_replayed_too() -> None:
    journal = ReplayJournal()
    done: list[str] = []

    async def late() -> None:
        done.append("late")

    async def first() -> None:
        done.append("first")
        journal.append("users", "late", late)

    journal.append("users", "first", first)
    await journal.replay()
    assert done == ["first", "late"]


async def test_recent_acknowledged_writes_are_requeued_before_journaled_ones() -> None:
    """After a server change the writes acknowledged within the window go first in line,
    in the order they were made, then what was journaled during the outage."""
    journal = ReplayJournal(window=60.0)
    done: list[str] = []

    def op(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            done.append(name)

        return run

    journal.acknowledged("notifications", "add", op("acked-1"))
    journal.acknowledged("notifications", "add", op("acked-2"))
    journal.append("notifications", "add", op("journaled"))
    assert journal.requeue_recent(since=time.monotonic()) == 2
    assert journal.requeue_recent(since=time.monotonic()) == 0  # the window starts empty
    await journal.replay()
    assert done == ["acked-1", "acked-2", "journaled"]


async def test_writes_acknowledged_before_the_window_are_not_requeued() -> None:
    journal = ReplayJournal(window=0.0)

    async def op() -> None:
        return None

    journal.acknowledged("events", "record", op)
    assert journal.requeue_recent(since=time.monotonic() + 1) == 0
    assert len(journal) == 0
