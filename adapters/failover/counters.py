"""The link's counters, read by /metrics, /health and the tests."""

import time

import attrs


@attrs.define
class LinkCounters:
    latency_ms: float | None = None  # of the last PING or heartbeat that Redis answered
    fallback_ops: dict[str, int] = attrs.field(factory=dict)  # capability -> calls
    command_errors: int = 0  # data errors Redis answered with: bugs, never outages
    budget_refusals: int = 0  # calls sent to the fallback: their request's budget was spent

    def count_fallback(self, capability: str) -> None:
        self.fallback_ops[capability] = self.fallback_ops.get(capability, 0) + 1

    def answered(self, started: float) -> float:
        """Redis answered a call started at `started` (time.perf_counter())."""
        self.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        return self.latency_ms
