"""GCRA and the use case that applies a request's limits, on the memory limiter."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory.rate_limits import MemoryRateLimiter
from application.rate_limits import CheckRateLimits
from domain.rate_limits import Limit, Quota, gcra
from entrypoints.http.rate_limiting import is_exempt
from tests.fakes import FakeClock

pytestmark = pytest.mark.anyio


def test_gcra_counts_down_exactly_then_refuses_with_the_wait() -> None:
    quota, now, tat = Quota(3, 60), 1000.0, None
    remaining = []
    for _ in range(3):
        tat, decision = gcra(tat, now, quota)
        assert decision.allowed
        remaining.append(decision.remaining)
    assert remaining == [2, 1, 0]
    refused_tat, refused = gcra(tat, now, quota)
    assert refused_tat is None
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(20)
    assert refused.reset_after == pytest.approx(60)


def test_gcra_gives_back_one_request_per_interval() -> None:
    quota = Quota(3, 60)
    tat = None
    for _ in range(3):
        tat, _ = gcra(tat, 1000.0, quota)
    tat2, decision = gcra(tat, 1020.0, quota)
    assert decision.allowed and decision.remaining == 0
    _, later = gcra(tat2, 1080.0, quota)
    assert later.allowed and later.remaining == 2


def test_uneven_quota_still_reads_whole_remaining_counts() -> None:
    quota, tat = Quota(7, 60), None
    seen = []
    for _ in range(7):
        tat, decision = gcra(tat, 5.0, quota)
        seen.append(decision.remaining)
    assert seen == [6, 5, 4, 3, 2, 1, 0]


@given(
    count=st.integers(1, 10**9),
    period=st.floats(1e-3, 1e7),
    now=st.floats(0, 1e10),
    rest=st.floats(0, 1e6),
)
def test_a_key_at_rest_gets_the_answer_a_key_just_full_would(
    count: int, period: float, now: float, rest: float
) -> None:
    """The answer to a key at rest is computed once per quota: it must be what GCRA says of
    a key whose arrival time is exactly now (nothing spent), whatever the quota and however
    long the key has rested."""
    quota = Quota(count, period)
    new_tat, decision = gcra(now - rest, now, quota)
    assert decision is quota.at_rest
    assert new_tat == now + quota.interval
    assert decision.allowed and decision.retry_after == 0
    assert decision.limit == count
    assert decision.remaining == count - 1
    assert decision.reset_after == pytest.approx(quota.interval)


def test_share_divides_the_limit_but_never_to_zero() -> None:
    assert Quota(10, 60).share(2) == Quota(5, 60)
    assert Quota(10, 60).share(3) == Quota(3, 60)
    assert Quota(1, 60).share(4) == Quota(1, 60)
    assert Quota(10, 60).share(0) == Quota(10, 60)


async def test_memory_limiter_refills_with_the_clock() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock)
    quota = Quota(2, 10)
    assert (await limiter.hit("k", quota)).remaining == 1
    assert (await limiter.hit("k", quota)).remaining == 0
    assert not (await limiter.hit("k", quota)).allowed
    clock.advance(10)
    decision = await limiter.hit("k", quota)
    assert decision.allowed and decision.remaining == 1


async def test_memory_limiter_forgets_idle_keys() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock, max_keys=8)
    for i in range(100):
        await limiter.hit(f"k{i}", Quota(5, 1))
    assert len(limiter) <= 8


async def test_the_tightest_limit_binds() -> None:
    limiter = MemoryRateLimiter(FakeClock())
    check = CheckRateLimits(limiter, limiter)
    wide = Limit("default", "addr:a", Quota(100, 60))
    narrow = Limit("login", "login:a:bob", Quota(2, 60))
    binding = await check([wide, narrow])
    assert binding is not None
    assert binding[0] is narrow and binding[1].remaining == 1


async def test_a_refused_request_is_not_counted_against_later_limits() -> None:
    limiter = MemoryRateLimiter(FakeClock())
    check = CheckRateLimits(limiter, limiter)
    first = Limit("default", "addr:a", Quota(1, 60))
    second = Limit("login", "login:a:bob", Quota(5, 60))
    await check([first, second])
    refused = await check([first, second])
    assert refused is not None and refused[0] is first and not refused[1].allowed
    # The login limit saw only the first request.
    assert (await limiter.hit("login:a:bob", Quota(5, 60))).remaining == 3


async def test_no_limits_no_decision() -> None:
    limiter = MemoryRateLimiter(FakeClock())
    assert await CheckRateLimits(limiter, limiter)([]) is None


@pytest.mark.parametrize(
    ("path", "exempt"),
    [
        ("/health", True),
        ("/health/ready", True),
        ("/docs/assets/swagger-ui.css", True),
        ("/openapi.json", True),
        ("/status", True),
        ("/healthz", False),  # a prefix of the word is not the path
        ("/metricsfoo", False),
        ("/api/auth/me", False),
        ("/", False),
        ("", False),
    ],
)
def test_exempt_paths_are_the_operational_ones_and_what_lies_under_them(
    path: str, exempt: bool
) -> None:
    assert is_exempt(path) is exempt


def test_a_quota_spaces_its_requests_evenly_and_equals_one_of_the_same_rate() -> None:
    assert Quota(10, 60).interval == 6.0
    assert Quota(10, 60) == Quota(10, 60.0)
    assert Quota(10, 60) != Quota(10, 30)
