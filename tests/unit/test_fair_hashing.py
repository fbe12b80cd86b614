"""Hashing is shared fairly: the queue serves clients in turn (a property over every
arrival sequence), and the pool built on it starts another client's hash after at most one
more of a storming client's, refusing the storm's excess at once."""

import asyncio
import threading
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.fair_queue import FairQueue
from adapters.hash_pool import HashPool
from domain.errors import RateLimitedError

# An arrival sequence: a client's push (a letter) or a pop (None).
steps = st.lists(st.one_of(st.sampled_from("abcd"), st.none()), max_size=120)


@settings(max_examples=200, deadline=None)
@given(steps, st.integers(1, 5), st.integers(1, 12))
def test_the_queue_serves_clients_in_turn_and_stays_bounded(
    sequence: list[str | None], per_client: int, total: int
) -> None:
    queue: FairQueue[int] = FairQueue(per_client, total)
    pushed: dict[int, tuple[str, int]] = {}  # item -> (client, its own items ahead of it)
    served: dict[str, list[int]] = defaultdict(list)
    pops_since: dict[int, dict[str, int]] = {}  # item -> other clients' pops since its push
    for item, client in enumerate(sequence):
        if client is not None:
            ahead = queue.queued(client)
            full = len(queue) >= total or ahead >= per_client
            assert queue.push(client, item) is not full
            if not full:
                pushed[item] = (client, ahead)
                pops_since[item] = defaultdict(int)
            assert len(queue) <= total and queue.queued(client) <= per_client
            continue
        turn = queue.pop()
        if turn is None:
            assert len(queue) == 0
            continue
        who, popped = turn
        assert pushed[popped][0] == who
        served[who].append(popped)
        del pops_since[popped]
        for waiting, counts in pops_since.items():
            if pushed[waiting][0] != who:
                counts[who] += 1
                # Fair: each other client is served at most once more per item ahead of it.
                assert counts[who] <= pushed[waiting][1] + 1
    for items in served.values():
        assert items == sorted(items)  # first in, first out within a client


@pytest.mark.anyio
async def test_another_clients_hash_starts_after_at_most_one_more_of_a_storms() -> None:
    pool = HashPool(threads=1, niceness=0, per_client=4, total=16)
    started: list[str] = []
    gate = threading.Event()

    def work(client: str) -> None:
        started.append(client)
        gate.wait(5)

    def job(client: str) -> "asyncio.Task[None]":
        return asyncio.ensure_future(pool.run(client, lambda: work(client)))

    storm = [job("storm") for _ in range(5)]  # one runs, four wait
    await asyncio.sleep(0)
    with pytest.raises(RateLimitedError):
        await pool.run("storm", lambda: None)  # a fifth waiting: refused at once
    other = job("other")
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*storm, other)

    assert started.index("other") <= 2  # the running one, at most one more, then "other"
    assert started.count("storm") == 5


@pytest.mark.anyio
async def test_the_pool_refuses_beyond_its_total_whoever_asks() -> None:
    pool = HashPool(threads=1, niceness=0, per_client=2, total=3)
    gate = threading.Event()
    waiting = [asyncio.ensure_future(pool.run(f"c{i}", lambda: gate.wait(5))) for i in range(4)]
    await asyncio.sleep(0)

    with pytest.raises(RateLimitedError):
        await pool.run("late", lambda: None)
    assert pool.waiting == 3
    gate.set()
    assert await asyncio.gather(*waiting) == [True] * 4
