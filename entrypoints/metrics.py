"""Prometheus metrics, named `ballast_*`, correct under `ballast serve --workers N`.

With several workers, `ballast serve` sets PROMETHEUS_MULTIPROC_DIR before they start, every
worker writes its samples there, and whichever worker answers /metrics aggregates them all.
State owned by the Redis link (up, breaker, fallbacks, journal) and the memory stores
(entries dropped) is copied into metrics by `StateExporter.sync`, every second and at each
scrape, so each worker reports its own. Auth outcomes are counted from the auth events as
they are recorded (security_events.py). No `_created` series: prometheus_client's own switch.
"""

import asyncio
import collections
import hmac
import math
import os
import platform
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.samples import Sample
from starlette.requests import Request
from starlette.responses import Response

from adapters.failover.breaker import BreakerState
from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.failover.rate_limits import InstanceCount
from adapters.memory.auth import MemoryRevocationList
from adapters.memory.bounds import DroppedEntries
from application.bounded_cache import cache_sizes
from application.currency.rates_service import RatesService
from application.notifications.delivery import DeliveryWorker
from domain.errors import InvalidTokenError, MissingTokenError
from domain.rates import RateOrigin
from entrypoints.http.requests import parse_bearer
from entrypoints.metrics_dir import MULTIPROC_ENV
from entrypoints.version import ballast_version

disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` doubles the series

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Instruments:
    """Every metric Ballast exports. Built once per process, on first use (not at import:
    in multiprocess mode creating a metric writes a file)."""

    def __init__(self) -> None:
        http = ["method", "route", "status"]
        self.requests = Counter("ballast_http_requests", "HTTP requests answered", http)
        self.latency = Histogram(
            "ballast_http_request_duration_seconds",
            "Time to answer an HTTP request",
            http,
            buckets=LATENCY_BUCKETS,
        )
        self.rate_limited = Counter(
            "ballast_rate_limit_rejections", "Requests refused by a rate limit", ["limit"]
        )
        self.deliveries = Counter(
            "ballast_notification_deliveries",
            "Notification delivery attempts",
            ["channel", "outcome"],
        )
        self.redis_up = Gauge(
            "ballast_redis_up",
            "1 while the Redis breaker lets requests through (every worker agreeing)",
            multiprocess_mode="livemin",
        )
        self.breaker = Gauge(
            "ballast_redis_breaker_state",
            "Workers whose Redis breaker is in this state",
            ["state"],
            multiprocess_mode="livesum",
        )
        self.fallback_ops = Counter(
            "ballast_fallback_operations",
            "Operations served from an in-memory fallback",
            ["capability"],
        )
        self.journal_depth = Gauge(
            "ballast_replay_journal_depth",
            "Writes waiting to be replayed to Redis",
            multiprocess_mode="livesum",
        )
        self.cache_entries = Gauge(
            "ballast_cache_entries",
            "Entries held by each cache (application/bounded_cache.py), summed over workers",
            ["cache"],
            multiprocess_mode="livesum",
        )
        self.replayed = Counter("ballast_replayed_writes", "Journaled writes replayed to Redis")
        self.dropped = Counter("ballast_dropped_writes", "Journaled writes dropped (journal full)")
        self.breaker_changed = Gauge(
            "ballast_redis_breaker_changed_timestamp_seconds",
            "When the Redis breaker last changed state (Unix time; the latest of the workers)",
            multiprocess_mode="livemax",
        )
        self.replay_at = Gauge(
            "ballast_replay_last_timestamp_seconds",
            "When the last replay of the journal finished (Unix time)",
            multiprocess_mode="livemax",
        )
        self.replay_writes = Gauge(
            "ballast_replay_last_writes",
            "Writes the last replay wrote to Redis",
            multiprocess_mode="livemostrecent",
        )
        self.replay_seconds = Gauge(
            "ballast_replay_last_duration_seconds",
            "How long the last replay took",
            multiprocess_mode="livemostrecent",
        )
        self.instances = Gauge(
            "ballast_instances",
            "Live Ballast instances seen through Redis (their heartbeats)",
            multiprocess_mode="livemax",
        )
        self.rates_age = Gauge(
            "ballast_rates_age_seconds",
            "Age of the rate table being served, since it was fetched (NaN: the built-in table)",
            multiprocess_mode="livemin",
        )
        self.rates_source = Gauge(
            "ballast_rates_source",
            "1 for the source of the rate table being served (live, cache, fallback)",
            ["source"],
            multiprocess_mode="livemax",
        )
        self.deliveries_queued = Gauge(
            "ballast_notification_deliveries_queued",
            "Notification deliveries waiting in the delivery queue",
            multiprocess_mode="livesum",
        )
        self.memory_dropped = Counter(
            "ballast_memory_dropped_entries",
            "Entries a bounded in-memory store dropped, oldest first, because it was full",
            ["store"],
        )
        self.revocations = Gauge(
            "ballast_revocations_held",
            "Unexpired revocations held in memory (never dropped before they expire)",
            multiprocess_mode="livemax",
        )
        self.revocations_over_bound = Gauge(
            "ballast_revocations_over_bound",
            "1 while the in-memory revocation list holds more than its bound",
            multiprocess_mode="livemax",
        )
        self.build_info = Gauge(
            "ballast_build_info",
            "Always 1; the labels say which Ballast and which Python serve",
            ["version", "python"],
            multiprocess_mode="max",
        )
        self.build_info.labels(ballast_version(), platform.python_version()).set(1)
        self.logins = Counter(
            "ballast_logins", "Password logins, by outcome (succeeded, failed)", ["outcome"]
        )
        self.refreshes = Counter("ballast_token_refreshes", "Refresh tokens exchanged")
        self.reuse = Counter(
            "ballast_refresh_reuse_detections",
            "Refresh tokens presented again after use (their family is revoked)",
        )
        self.revocations_made = Counter(
            "ballast_token_revocations",
            "Tokens revoked, by why (token_revoked, logout, logout_all, user_disabled, ...)",
            ["reason"],
        )
        self.client_grants = Counter(
            "ballast_client_credentials_grants",
            "OAuth client-credentials grants, by outcome (issued, refused)",
            ["outcome"],
        )
        # Every known label value from the start: a rate over a series that does not exist
        # yet is no rate at all for an alert.
        for outcome in ("succeeded", "failed"):
            self.logins.labels(outcome)
        for outcome in ("issued", "refused"):
            self.client_grants.labels(outcome)
        for limit in ("default", "login"):
            self.rate_limited.labels(limit)


_made: list[Instruments] = []
_making = threading.Lock()


def instruments() -> Instruments:
    """The process's one set; thread-safe (the access log's writer counts requests), since a
    second set would register every metric twice."""
    if not _made:
        with _making:
            if not _made:
                _made.append(Instruments())
    return _made[0]


def record_requests(entries: Iterable[Sequence[Any]]) -> None:
    """For the access log's writer thread: a batch of answered requests (its entries: when,
    method, route, status, milliseconds, ...), counted off the event loop."""
    m = instruments()
    children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
    counts: collections.Counter[tuple[str, str, int]] = collections.Counter()
    for _, method, route, status, milliseconds, *_ in entries:
        key = (method, route, status)
        pair = children.get(key)
        if pair is None:
            labels = (method, route, str(status))
            pair = children[key] = (m.requests.labels(*labels), m.latency.labels(*labels))
        counts[key] += 1
        pair[1].observe(milliseconds / 1000)
    for key, n in counts.items():
        children[key][0].inc(n)


def record_delivery(channel: str, outcome: str) -> None:
    """For the notification dispatcher: one delivery attempt and how it ended (webhook
    attempts are the `channel="webhook"` series)."""
    instruments().deliveries.labels(channel, outcome).inc()


def record_client_credentials_grant(issued: bool) -> None:
    """For the OAuth token endpoint: one client-credentials grant, issued or refused."""
    instruments().client_grants.labels("issued" if issued else "refused").inc()


class StateExporter:
    """Copies the link's, the journal's and the memory stores' counters into metrics
    (counters as increments since the last copy, so they add up across workers)."""

    def __init__(
        self,
        link: RedisLink | None,
        journal: ReplayJournal | None,
        dropped: DroppedEntries | None = None,
        revocations: MemoryRevocationList | None = None,
        rates: RatesService | None = None,
        deliveries: DeliveryWorker | None = None,
        instances: InstanceCount | None = None,
    ) -> None:
        self.link = link
        self.journal = journal
        self.dropped = dropped or DroppedEntries()
        self.revocations = revocations
        self.rates = rates
        self.deliveries = deliveries
        self.instances = instances
        self._seen: dict[str, int] = {}
        self._state: BreakerState | None = None

    def _advance(self, counter: Counter, name: str, total: int) -> None:
        delta = total - self._seen.get(name, 0)
        if delta > 0:
            counter.inc(delta)
        self._seen[name] = total

    async def sync(self) -> None:
        m = instruments()
        for store, total in self.dropped.totals().items():
            self._advance(m.memory_dropped.labels(store), f"memory_dropped:{store}", total)
        if self.revocations is not None:
            m.revocations.set(len(self.revocations))
            m.revocations_over_bound.set(1 if self.revocations.over_bound else 0)
        if self.rates is not None:
            table = self.rates.snapshot().table
            for origin in RateOrigin:
                m.rates_source.labels(origin.value).set(1 if table.source is origin else 0)
            fallback = table.source is RateOrigin.FALLBACK
            m.rates_age.set(math.nan if fallback else self.rates.clock.now() - table.fetched_at)
        for cache, entries in cache_sizes().items():
            m.cache_entries.labels(cache).set(entries)
        if self.deliveries is not None:
            m.deliveries_queued.set(len(self.deliveries))
        if self.instances is not None:
            m.instances.set(self.instances.instances)
        if self.link is None:
            return
        m.redis_up.set(1 if self.link.is_up else 0)
        if self.link.breaker.state is not self._state:
            self._state = self.link.breaker.state
            m.breaker_changed.set(time.time())  # seen within a second of the change
        for state in BreakerState:
            m.breaker.labels(state.value).set(1 if self.link.breaker.state is state else 0)
        for capability, total in list(self.link.counters.fallback_ops.items()):
            self._advance(m.fallback_ops.labels(capability), f"fallback:{capability}", total)
        if self.journal is not None:
            m.journal_depth.set(len(self.journal))
            self._advance(m.replayed, "replayed", self.journal.replayed)
            self._advance(m.dropped, "dropped", self.journal.dropped)
            last = self.journal.last_replay
            if last is not None:
                m.replay_at.set(last.at)
                m.replay_writes.set(last.writes)
                m.replay_seconds.set(last.seconds)

    async def stop(self) -> None:
        if os.environ.get(MULTIPROC_ENV):
            multiprocess.mark_process_dead(os.getpid())


def registry() -> CollectorRegistry:
    """This process's metrics, or every worker's in multiprocess mode (read from their files:
    blocking, so the readers below run in a thread)."""
    if os.environ.get(MULTIPROC_ENV):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return merged
    return REGISTRY


def exposition() -> bytes:
    """The text of every metric."""
    return generate_latest(registry())


def samples() -> list[Sample]:
    """Every metric's samples, straight from the collectors (no text to make and parse)."""
    return [sample for family in registry().collect() for sample in family.samples]


def token_check(token: str | None) -> Callable[[Request], None]:
    """What /metrics and /status ask: nothing unless BALLAST_METRICS_TOKEN is set; then
    `Authorization: Bearer <that token>`, compared in constant time (401 otherwise)."""
    expected = None if token is None else token.encode()

    def check(request: Request) -> None:
        if expected is None:
            return
        presented = parse_bearer(request.headers.get("authorization", ""))
        if presented is None:
            raise MissingTokenError()
        if not hmac.compare_digest(presented.encode(), expected):
            raise InvalidTokenError("not the metrics token")

    return check


def endpoint(
    exporter: StateExporter,
    token: str | None,
    pending: Callable[[], None],
) -> Callable[[Request], Awaitable[Response]]:
    """/metrics: open (the Prometheus convention) unless BALLAST_METRICS_TOKEN is set.
    `pending` counts this worker's requests not yet counted (the access log's batch)."""
    check = token_check(token)

    async def metrics(request: Request) -> Response:
        check(request)
        pending()
        await exporter.sync()
        body = await asyncio.to_thread(exposition)  # off the event loop, whatever its size
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics
