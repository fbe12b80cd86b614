"""The auth event log pages with a cursor, whichever store answers (memory, Redis,
failover; one server and cluster): walking every page yields every held event once,
newest first, and the last page says it is the last."""

import math
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.failover.auth import FailoverAuthEventLog
from adapters.failover.core import Failover
from adapters.memory.auth import MemoryAuthEventLog
from adapters.redis import keys
from adapters.redis.events import RedisAuthEventLog
from domain.errors import ValidationError
from domain.events import AuthEvent, AuthEventType
from tests.contract.backends import Backend

pytestmark = pytest.mark.anyio

Fresh = Callable[[int], Awaitable[Any]]


@pytest.fixture
def fresh_log(backend: Backend) -> Fresh:
    """An empty log holding at most `max_events` (memory exactly; Redis trims by about)."""

    async def fresh(max_events: int) -> Any:
        if backend.client is not None:
            await backend.client.delete(keys.EVENTS)
            await backend.client.delete(keys.EVENTS_SEEN)
        return backend.pick(
            memory=lambda: MemoryAuthEventLog(max_events),
            redis=lambda client: RedisAuthEventLog(client, max_events),
            failover=lambda link: FailoverAuthEventLog(
                RedisAuthEventLog(link.client, max_events),
                MemoryAuthEventLog(max_events),
                Failover(link, "events", journal=link.journal),
            ),
        )

    return fresh


def _event(tag: str, i: int) -> AuthEvent:
    return AuthEvent(f"{tag}-{i}", AuthEventType.LOGIN_SUCCEEDED, f"user{i}", 1.8e9 + i, "c")


async def _walk(log: Any, limit: int, bound: int) -> tuple[list[str], int]:
    seen: list[str] = []
    cursor = None
    for pages in range(1, bound + 1):
        page = await log.page(limit, cursor)
        assert len(page.items) <= limit
        seen += [e.id for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen, pages
    raise AssertionError(f"no last page within {bound} pages")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, 30), st.integers(1, 7), st.integers(3, 40), st.integers(0, 10**9))
async def test_walking_every_page_yields_every_held_event_once_newest_first(
    backend: Backend, fresh_log: Fresh, recorded: int, limit: int, max_events: int, salt: int
) -> None:
    log = await fresh_log(max_events)
    tag = f"e{salt}"
    for i in range(recorded):
        await log.record(_event(tag, i))
    newest_first = [f"{tag}-{i}" for i in reversed(range(recorded))]

    seen, pages = await _walk(log, limit, recorded + 2)

    assert seen == newest_first[: len(seen)]  # newest first, none skipped, none twice
    held = min(recorded, max_events)
    if backend.kind == "memory":
        assert len(seen) == held
    else:  # MAXLEN ~ trims whole stream nodes: at least the bound is held
        assert len(seen) >= held
    assert pages == max(1, math.ceil(len(seen) / limit))  # the last page has next_cursor None


async def test_a_page_starts_right_after_the_cursor_even_as_events_arrive(
    fresh_log: Fresh,
) -> None:
    log = await fresh_log(100)
    for i in range(5):
        await log.record(_event("a", i))
    first = await log.page(2)
    for i in range(5, 8):  # newer ones do not shift an older page
        await log.record(_event("a", i))

    second = await log.page(2, first.next_cursor)

    assert [e.id for e in first.items] == ["a-4", "a-3"]
    assert [e.id for e in second.items] == ["a-2", "a-1"]
    assert second.items[0] == _event("a", 2)


async def test_a_cursor_of_the_other_store_starts_again_from_the_newest(
    backend: Backend, fresh_log: Fresh
) -> None:
    log = await fresh_log(100)
    for i in range(3):
        await log.record(_event("b", i))
    foreign = "1767605400000-0" if backend.kind == "memory" else "m1"

    page = await log.page(2, foreign)

    assert [e.id for e in page.items] == ["b-2", "b-1"]
    rest = await log.page(2, page.next_cursor)
    assert ([e.id for e in rest.items], rest.next_cursor) == (["b-0"], None)


@pytest.mark.parametrize("cursor", ["", "x", "m", "1-", "m1-1", "1" * 20 + "-1"])
async def test_a_cursor_of_neither_form_is_refused_naming_cursor(
    fresh_log: Fresh, cursor: str
) -> None:
    log = await fresh_log(100)

    with pytest.raises(ValidationError) as error:
        await log.page(10, cursor)

    assert [e.field for e in error.value.errors] == ["cursor"]
