"""The replay journal: writes made during an outage, replayed to Redis oldest first; and
the recent window: writes Redis acknowledged lately, run again when another server turns
out to be answering (a promoted replica lacks what the old master had not replicated)."""

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

log = logging.getLogger("ballast.failover")

Replay = Callable[[], Awaitable[Any]]


@attrs.frozen
class ReplayDone:
    """One finished replay: when (wall clock), how many writes, how long it took."""

    at: float
    writes: int
    seconds: float


@attrs.frozen
class JournalEntry:
    capability: str
    operation: str
    replay: Replay = attrs.field(repr=False)


# How long an acknowledged write stays in the recent window (seconds), and how many at most.
RECENT_WINDOW = 10.0
RECENT_MAX = 20_000


class ReplayJournal:
    """Bounded: when full, the oldest entry is dropped, counted and logged (once an outage).

    Every replay must be idempotent: an entry whose replay timed out may have been applied,
    and is tried again.

    The recent window keeps, for `window` seconds (at most `recent_max`), the writes Redis
    acknowledged whose replay is safe to run again however late (see `acknowledged`). Redis
    replicates asynchronously: when a replica is promoted (Sentinel switch-over or failover,
    Cluster failover) or a server restarts empty, what the old server acknowledged last is
    gone, and until this process notices the change it may even go on writing to an old
    master that Sentinel has already replaced. `requeue_recent` puts those writes back in
    line for the next replay; they reach the server that answers now.
    """

    def __init__(
        self,
        max_entries: int = 100_000,
        window: float = RECENT_WINDOW,
        recent_max: int = RECENT_MAX,
    ) -> None:
        self._entries: deque[JournalEntry] = deque()
        self.max_entries = max_entries
        self.replayed = 0
        self.dropped = 0
        self._warned_full = False
        self.last_replay: ReplayDone | None = None
        self.window = window
        self._recent: deque[tuple[float, JournalEntry]] = deque(maxlen=recent_max)
        self.requeued = 0

    def append(self, capability: str, operation: str, replay: Replay) -> None:
        if len(self._entries) >= self.max_entries:
            lost = self._entries.popleft()
            self.dropped += 1
            if not self._warned_full:
                self._warned_full = True
                log.error(
                    "event=journal_full max=%d dropping=oldest capability=%s operation=%s",
                    self.max_entries,
                    lost.capability,
                    lost.operation,
                )
        self._entries.append(JournalEntry(capability, operation, replay))

    def acknowledged(self, capability: str, operation: str, replay: Replay) -> None:
        """Redis acknowledged a write whose `replay` is safe to run again at any later
        time (it never undoes a newer state): kept for the window."""
        now = time.monotonic()
        recent = self._recent
        while recent and recent[0][0] < now - self.window:
            recent.popleft()
        recent.append((now, JournalEntry(capability, operation, replay)))

    def requeue_recent(self, since: float) -> int:
        """The writes acknowledged within the window before `since` (a monotonic time: when
        the link stopped trusting the server) and after it, put first in line (they are
        older than anything journaled since); the window starts empty again."""
        kept = [entry for at, entry in self._recent if at >= since - self.window]
        self._recent.clear()
        self._entries.extendleft(reversed(kept))
        self.requeued += len(kept)
        return len(kept)

    async def replay(self, is_outage: Callable[[BaseException], bool] = lambda _: True) -> int:
        """Replays until empty (entries added meanwhile included); raises on the first outage,
        leaving that entry first in line. An entry that fails otherwise (Redis refused its
        data: it never will accept it) is dropped, counted and logged, so that one bad
        write cannot hold every later one back."""
        if not self._entries:
            return 0
        log.info("event=replay_started pending=%d", len(self._entries))
        started = time.perf_counter()
        done = 0
        while self._entries:
            entry = self._entries[0]
            try:
                await entry.replay()
            except Exception as e:
                if is_outage(e):
                    raise
                self._entries.popleft()
                self.dropped += 1
                log.error(
                    "event=replay_dropped capability=%s operation=%s error=%s",
                    entry.capability,
                    entry.operation,
                    type(e).__name__,
                )
                continue
            self._entries.popleft()
            done += 1
            self.replayed += 1
        seconds = time.perf_counter() - started
        self.last_replay = ReplayDone(time.time(), done, seconds)
        log.info(
            "event=replay_finished replayed=%d dropped_total=%d seconds=%.3f",
            done,
            self.dropped,
            seconds,
        )
        self._warned_full = False
        return done

    def __len__(self) -> int:
        return len(self._entries)
