"""The access log: one line per request, and the HTTP metrics, both off the event loop.

The request path only appends a tuple to a bounded deque; a background thread turns them
into records of the `ballast.access` logger and hands them to that logger's handlers (the
shared logging configuration decides the line format and the level), a batch at a time, so
a slow or blocked stderr slows the writer, never the requests. The same batch is handed to
`observe` (the request metrics), so the request path pays for neither. Lines that find the
deque full are counted, and reported by the writer in one line when it catches up.

Every value an entry holds is one of a known few (the method, folded to `OTHER` when it is
not one HTTP defines; the route template, `unmatched` for any other path; the status), so a
client can add neither metric series nor distinct log keys by choosing what it sends.
"""

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("ballast.access")
MESSAGE = (
    "event=request method=%s route=%s status=%d duration_ms=%.2f request_id=%s client=%s subject=%s"
)
# When, method, route template, status, duration in milliseconds, request id, client
# address, subject (whom its token names, "" if none), path (of an unmatched route, else ""),
# trace id ("" without a traceparent).
Entry = tuple[float, str, str, int, float, str, str, str, str, str]
# The line's format by (path shown, trace id shown).
MESSAGES = {
    (False, False): MESSAGE,
    (True, False): MESSAGE + " path=%s",
    (False, True): MESSAGE + " trace_id=%s",
    (True, True): MESSAGE + " path=%s trace_id=%s",
}
# The methods of RFC 9110 and PATCH: any other is counted and logged as OTHER.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
OTHER = "OTHER"


class AccessLog:
    def __init__(
        self,
        logger: logging.Logger = log,
        every: float = 0.05,
        max_pending: int = 65_536,
        lines: bool = True,
        observe: Callable[[list[Entry]], None] | None = None,
    ) -> None:
        self._logger = logger
        self._lines = lines  # BALLAST_ACCESS_LOG=off: the metrics still need the entries
        self._observe = observe
        self._every = every
        self._max = max_pending
        self._pending: collections.deque[Entry] = collections.deque()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._flushing = threading.Lock()  # one writer at a time keeps the lines in order
        self.dropped = 0
        self._reported_dropped = 0

    def add(
        self,
        method: str,
        route: str,
        status: int,
        seconds: float,
        request_id: str,
        client: str = "",
        subject: str = "",
        path: str = "",
        trace_id: str = "",
    ) -> None:
        """Called on the request path: O(1), no I/O, no formatting."""
        if len(self._pending) >= self._max:
            self.dropped += 1
            return
        if method not in METHODS:
            method = OTHER
        self._pending.append(
            (
                time.time(),
                method,
                route,
                status,
                seconds * 1000,
                request_id,
                client,
                subject,
                path,
                trace_id,
            )
        )

    async def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="ballast-access-log", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Writes what is left: no line of a finished request is lost at shut-down."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stopping.wait(self._every):
            self.flush()

    def flush(self) -> None:
        """Everything pending, in order, through the logger's handlers."""
        with self._flushing:
            self._flush()

    def _flush(self) -> None:
        logger = self._logger
        entries = []
        while self._pending:
            entries.append(self._pending.popleft())
        if entries and self._observe is not None:
            self._observe(entries)
        if entries and self._lines and logger.isEnabledFor(logging.INFO):
            records = []
            for created, *fields, path, trace_id in entries:
                args = (*fields, *((path,) if path else ()), *((trace_id,) if trace_id else ()))
                message = MESSAGES[bool(path), bool(trace_id)]
                record = logger.makeRecord(
                    logger.name, logging.INFO, __file__, 0, message, args, None
                )
                record.created = created
                record.msecs = (created - int(created)) * 1000
                records.append(record)
            _emit(logger, records)
        if self.dropped != self._reported_dropped:
            logger.warning(
                "event=access_log_dropped lines=%d", self.dropped - self._reported_dropped
            )
            self._reported_dropped = self.dropped


def _emit(logger: logging.Logger, records: list[logging.LogRecord]) -> None:
    """What `logger.handle` does for each record, except that a plain StreamHandler (the
    shared configuration's stderr) gets the whole batch in one write and one flush."""
    if logger.disabled:
        return
    records = [r for r in records if logger.filter(r)]
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            wanted = [r for r in records if r.levelno >= handler.level and handler.filter(r)]
            if type(handler) is logging.StreamHandler:
                text = "".join(handler.format(r) + handler.terminator for r in wanted)
                try:
                    with handler.lock or contextlib.nullcontext():
                        handler.stream.write(text)
                        handler.flush()
                except (OSError, ValueError):
                    # A stream gone (closed, broken pipe): what logging does for one record.
                    if wanted:
                        handler.handleError(wanted[0])
            else:
                for record in wanted:
                    handler.handle(record)
        current = current.parent if current.propagate else None
