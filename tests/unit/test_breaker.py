"""The circuit breaker's state machine."""

from adapters.failover.breaker import BreakerState, CircuitBreaker


def test_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(failures_to_open=3)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allows_requests


def test_half_open_still_refuses_requests_until_closed() -> None:
    breaker = CircuitBreaker(failures_to_open=1)
    breaker.record_failure()
    breaker.half_open()
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allows_requests
    breaker.close()
    assert breaker.allows_requests
    assert breaker.consecutive_failures == 0


def test_transitions_are_reported_once_each() -> None:
    seen: list[tuple[BreakerState, BreakerState]] = []
    breaker = CircuitBreaker(failures_to_open=1, on_change=lambda a, b: seen.append((a, b)))
    breaker.record_failure()
    breaker.record_failure()  # already open: no second report
    breaker.trip()
    breaker.half_open()
    breaker.close()
    assert seen == [
        (BreakerState.CLOSED, BreakerState.OPEN),
        (BreakerState.OPEN, BreakerState.HALF_OPEN),
        (BreakerState.HALF_OPEN, BreakerState.CLOSED),
    ]
    assert breaker.opened == 1
