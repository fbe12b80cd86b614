"""The replay journal: writes made during an outage, replayed to Redis oldest first."""

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


class ReplayJournal:
    """Bounded: when full, the oldest entry is dropped, counted and logged (once an outage).

    Every replay must be idempotent: an entry whose replay timed out may have been applied,
    and is tried again.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: deque[JournalEntry] = deque()
        self.max_entries = max_entries
        self.replayed = 0
        self.dropped = 0
        self._warned_full = False
        self.last_replay: ReplayDone | None = None

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
