"""What the status page reads: the metrics' samples, read off the event loop, and the history
it keeps between renders (traffic for the chart, the replays seen)."""

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable

import attrs
from prometheus_client.samples import Sample

from entrypoints.metrics import samples

WINDOW = 600.0  # seconds of traffic the chart shows
SAMPLE_EVERY = 5.0


@attrs.frozen
class Metrics:
    """What /metrics exposes, read from the collectors themselves (no text made and parsed
    again): sample values by name and labels."""

    samples: tuple[Sample, ...]

    @classmethod
    def read(cls) -> "Metrics":
        """Blocking (in multiprocess mode it reads every worker's files): call it in a thread."""
        return cls(tuple(samples()))

    @classmethod
    async def sampled(cls) -> "Metrics":
        """Read off the event loop: however many series there are, requests are not held."""
        return await asyncio.to_thread(cls.read)

    def total(self, name: str, match: Callable[[dict[str, str]], bool] = lambda _: True) -> float:
        return sum(s.value for s in self.samples if s.name == name and match(s.labels))

    def get(self, name: str) -> float | None:
        values = [s.value for s in self.samples if s.name == name]
        return max(values) if values else None

    def by(self, name: str, label: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.samples:
            if s.name == name and label in s.labels:
                out[s.labels[label]] = out.get(s.labels[label], 0.0) + s.value
        return out

    def named(self, word: str) -> dict[str, float]:
        """Every counter/gauge sample whose name holds `word`, keyed by name and labels."""
        out: dict[str, float] = {}
        for s in self.samples:
            if word in s.name:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
        return out


@attrs.frozen
class Replay:
    at: float
    writes: int
    seconds: float


class StatusHistory:
    """What the page remembers between renders: traffic samples for the chart, and the
    replays seen (the metrics keep only the last one)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.traffic: deque[tuple[float, float, float]] = deque(
            maxlen=int(WINDOW / SAMPLE_EVERY) + 2
        )
        self.replays: deque[Replay] = deque(maxlen=5)

    def observe(self, metrics: Metrics) -> None:
        now = self.clock()
        requests = metrics.total("ballast_http_requests_total")
        errors = metrics.total(
            "ballast_http_requests_total", lambda labels: labels.get("status", "").startswith("5")
        )
        if not self.traffic or now - self.traffic[-1][0] >= SAMPLE_EVERY / 2:
            self.traffic.append((now, requests, errors))
        at = metrics.get("ballast_replay_last_timestamp_seconds")
        if at and (not self.replays or self.replays[-1].at != at):
            writes = metrics.get("ballast_replay_last_writes") or 0
            seconds = metrics.get("ballast_replay_last_duration_seconds") or 0.0
            self.replays.append(Replay(at, int(writes), seconds))

    async def sample(self) -> None:
        self.observe(await Metrics.sampled())

    def rates(self) -> list[tuple[float, float, float]]:
        """(time, requests/s, 5xx/s) between consecutive samples in the window."""
        now = self.clock()
        points = [p for p in self.traffic if now - p[0] <= WINDOW + SAMPLE_EVERY]
        out = []
        for (t0, r0, e0), (t1, r1, e1) in itertools.pairwise(points):
            dt = t1 - t0
            if dt > 0:
                out.append((t1, max(0.0, r1 - r0) / dt, max(0.0, e1 - e0) / dt))
        return out
