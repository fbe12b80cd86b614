"""One request's Redis budget: set for the code inside it, and for no other request."""

import asyncio

import pytest

from adapters.failover.budget import RedisBudget

pytestmark = pytest.mark.anyio


def test_a_budget_is_current_only_inside_it() -> None:
    assert RedisBudget.current() is None
    with RedisBudget() as budget:
        assert RedisBudget.current() is budget
        assert budget.spent == 0.0
        with RedisBudget() as inner:
            assert RedisBudget.current() is inner
        assert RedisBudget.current() is budget
    assert RedisBudget.current() is None


async def test_concurrent_requests_each_see_their_own_budget() -> None:
    async def request(spend: float) -> float:
        with RedisBudget() as budget:
            budget.spent += spend
            await asyncio.sleep(0)  # the other request runs in between
            current = RedisBudget.current()
            assert current is budget
            return current.spent

    assert await asyncio.gather(request(0.1), request(0.2)) == [0.1, 0.2]
    assert RedisBudget.current() is None
