"""The link's counters."""

import time

from adapters.failover.counters import LinkCounters


def test_fallbacks_are_counted_per_capability() -> None:
    counters = LinkCounters()
    for capability in ("rates", "tokens", "rates"):
        counters.count_fallback(capability)
    assert counters.fallback_ops == {"rates": 2, "tokens": 1}


def test_an_answer_keeps_its_latency_in_milliseconds() -> None:
    counters = LinkCounters()
    assert counters.latency_ms is None
    started = time.perf_counter() - 0.002
    latency = counters.answered(started)
    assert latency == counters.latency_ms
    assert latency is not None and latency >= 2.0
