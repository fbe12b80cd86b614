"""The CI-sized run of bench/scale.py: the shape of the costs, not their size. A worker with
100,000 revocations in Redis answers before its replica holds all of them (the fill is not
part of its start) and then fills it to all of them; a deep page reads as many entries as
the first."""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import pytest

from bench.scale import Worker, seed_revocations
from bench.scale_seed import KINDS, pages_store
from tests.redis_server import RedisServer

HELD = 100_000


def test_a_worker_with_a_hundred_thousand_revocations_starts_like_an_empty_one(
    own_redis: RedisServer,
) -> None:
    # Counted, not timed: at its first answer the worker's replica must not yet hold all of
    # them (a start that waited for the fill would answer only once it did). A fill of
    # 100,000 entries cannot end in the moment between that answer and the next request.
    seed_revocations(own_redis.url, HELD)
    worker = Worker(own_redis.url)
    try:
        held_at_start = worker.metric("ballast_revocations_held")
        assert 0 <= held_at_start < HELD
        worker.wait_held(HELD, within=300)
        assert worker.metric("ballast_revocations_held") == HELD
    finally:
        worker.stop()


def lines_run(read: Callable[[object], Awaitable[object]], cursor: object) -> Callable[[], Any]:
    """A coroutine function that reads one page and answers the Python lines it ran: the
    work it did, counted without a clock."""

    async def count() -> tuple[object, int]:
        ran = 0

        def trace(frame: FrameType, event: str, arg: object) -> Any:
            nonlocal ran
            if event == "line":
                ran += 1
            return trace

        sys.settrace(trace)
        try:
            page = await read(cursor)
        finally:
            sys.settrace(None)
        return page, ran

    return count


async def page_work(kind: str, size: int) -> tuple[int, int]:
    """Lines run for the first page and for the page 1,000 pages in (or the last)."""
    read, first, deep, close = await pages_store(kind, size, None, 100)
    try:
        first_page, first_work = await lines_run(read, first)()
        deep_page, deep_work = await lines_run(read, deep)()
    finally:
        await close()
    assert len(first_page.items) == len(deep_page.items) == 100  # type: ignore[attr-defined]
    return first_work, deep_work


@pytest.mark.parametrize("kind", KINDS)
def test_the_thousandth_page_of_a_hundred_thousand_costs_a_page(kind: str) -> None:
    small_first, _ = asyncio.run(page_work(kind, 1_000))
    first, deep = asyncio.run(page_work(kind, 100_000))
    assert deep <= 2 * first
    assert first <= 2 * small_first and deep <= 2 * small_first
