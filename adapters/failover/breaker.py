"""A circuit breaker: a small state machine, with no clock and no I/O of its own."""

import enum
import logging
from collections.abc import Callable

log = logging.getLogger("ballast.failover")


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Closed until `failures_to_open` consecutive failures; then open until the link's
    probe sees the server answer (half open) and recovery succeeds (closed again).

    Opening and closing is the probe's business, so user requests never wait for it.
    """

    def __init__(
        self,
        failures_to_open: int = 3,
        on_change: Callable[[BreakerState, BreakerState], None] | None = None,
    ) -> None:
        self.failures_to_open = failures_to_open
        self.state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self.opened = 0  # how many times it opened: a counter for metrics
        self._on_change = on_change

    @property
    def state(self) -> BreakerState:
        return self._state

    @state.setter
    def state(self, to: BreakerState) -> None:
        self._state = to
        # Kept with the state: read on every request that may use Redis, so an attribute,
        # not a property comparing states each time.
        self.allows_requests = to is BreakerState.CLOSED

    def record_success(self) -> None:
        if self.state is BreakerState.CLOSED:
            self.consecutive_failures = 0

    def record_failure(self) -> None:
        self.consecutive_failures += 1
        if self.state is BreakerState.CLOSED and self.consecutive_failures >= self.failures_to_open:
            self._move(BreakerState.OPEN)

    def trip(self) -> None:
        """Open at once (e.g. the server did not answer at start, or recovery failed)."""
        if self.state is not BreakerState.OPEN:
            self._move(BreakerState.OPEN)

    def half_open(self) -> None:
        if self.state is BreakerState.OPEN:
            self._move(BreakerState.HALF_OPEN)

    def close(self) -> None:
        self.consecutive_failures = 0
        if self.state is not BreakerState.CLOSED:
            self._move(BreakerState.CLOSED)

    def _move(self, to: BreakerState) -> None:
        before, self.state = self.state, to
        if to is BreakerState.OPEN:
            self.opened += 1
        # Only opening is a warning: half-open and closed are the way back (and every start
        # with Redis goes half-open -> closed).
        level = logging.WARNING if to is BreakerState.OPEN else logging.INFO
        log.log(level, "event=breaker_%s from=%s", to.value, before.value)
        if self._on_change is not None:
            self._on_change(before, to)
