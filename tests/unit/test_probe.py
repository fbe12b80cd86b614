"""The probe: recovery tried again until the breaker closes, one loop at a time."""

import asyncio

import pytest

from adapters.failover.breaker import BreakerState, CircuitBreaker
from adapters.failover.probe import Probe
from application.supervision import Supervisor

pytestmark = pytest.mark.anyio


class Recovery:
    """Fails `failures` times, then closes the breaker."""

    def __init__(self, breaker: CircuitBreaker, failures: int) -> None:
        self.breaker = breaker
        self.failures = failures
        self.attempts = 0

    async def run(self) -> bool:
        self.attempts += 1
        if self.attempts <= self.failures:
            return False
        self.breaker.close()
        return True


async def test_recovery_is_tried_until_it_closes_the_breaker() -> None:
    breaker = CircuitBreaker(1)
    recovery = Recovery(breaker, failures=3)
    probe = Probe(breaker, recovery.run, Supervisor(), max_interval=0.05)
    breaker.trip()
    probe.start()
    probe.start()  # already running: no second loop
    assert probe.task is not None
    await asyncio.wait_for(probe.task, 10)
    assert recovery.attempts == 4
    assert breaker.state is BreakerState.CLOSED


async def test_a_failed_attempt_leaves_the_breaker_open() -> None:
    states: list[BreakerState] = []
    breaker = CircuitBreaker(1, lambda before, after: states.append(after))
    recovery = Recovery(breaker, failures=1)

    async def half_opens_and_fails() -> bool:
        breaker.half_open()
        return await recovery.run()

    probe = Probe(breaker, half_opens_and_fails, Supervisor(), max_interval=0.05)
    breaker.trip()
    probe.start()
    assert probe.task is not None
    await asyncio.wait_for(probe.task, 10)
    assert states == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,  # tripped again after the failed attempt
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]


async def test_a_stopped_probe_does_not_start() -> None:
    breaker = CircuitBreaker(1)
    probe = Probe(breaker, Recovery(breaker, 0).run, Supervisor(), max_interval=0.05)
    probe.stopped = True
    breaker.trip()
    probe.start()
    assert probe.task is None
