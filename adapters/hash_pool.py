"""The threads that hash passwords: a few, at a lower CPU priority, fed in turn by client."""

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

from adapters.fair_queue import FairQueue
from domain.errors import RateLimitedError

T = TypeVar("T")

# The nice value of the hashing threads. Under contention Linux gives a nice-10 thread about a
# tenth of the CPU a nice-0 one gets, so a login storm takes what the event loops leave.
HASH_NICENESS = 10


class _Job:
    """One piece of work and the future its caller awaits."""

    __slots__ = ("done", "work")

    def __init__(self, work: Callable[[], object], done: "asyncio.Future[object]") -> None:
        self.work = work
        self.done = done

    def start(self, executor: ThreadPoolExecutor, on_end: Callable[[object], None]) -> bool:
        """Hands the work to a thread; False (nothing started) when nobody awaits it any more."""
        if self.done.done():
            return False
        ran = self.done.get_loop().run_in_executor(executor, self.work)
        ran.add_done_callback(self._settle)
        ran.add_done_callback(on_end)
        return True

    def _settle(self, ran: "asyncio.Future[object]") -> None:
        if self.done.done():  # the caller went away (a client that disconnected)
            return
        error = ran.exception()
        if error is not None:
            self.done.set_exception(error)
        else:
            self.done.set_result(ran.result())


class HashPool:
    """At most `threads` hashes at a time; the work waiting for a thread is served one
    client at a time in turn (FairQueue), so that a client's work starts after at most one
    waiting item of every other client, however many items one client queues. A client with
    `per_client` items waiting, or a pool with `total` waiting, is refused at once (429):
    the wait of anyone is bounded by `threads + total` hashes.

    Used from one event loop (the worker's); the threads only run the work.
    """

    def __init__(self, threads: int, niceness: int, per_client: int, total: int) -> None:
        self.threads = threads
        self._executor = ThreadPoolExecutor(
            threads,
            thread_name_prefix="ballast-hash",
            initializer=_lower_priority,
            initargs=(niceness,),
        )
        self._running = 0
        self._waiting: FairQueue[_Job] = FairQueue(per_client, total)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def run(self, client: str, work: Callable[[], T]) -> T:
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if not self._waiting.push(client, _Job(work, done)):
            raise RateLimitedError(1)
        self._dispatch()
        return cast(T, await done)

    def _dispatch(self) -> None:
        while self._running < self.threads:
            turn = self._waiting.pop()
            if turn is None:
                return
            if turn[1].start(self._executor, self._ended):
                self._running += 1

    def _ended(self, _: object) -> None:
        self._running -= 1
        self._dispatch()


def _lower_priority(niceness: int) -> None:
    if sys.platform == "linux":  # elsewhere the call would lower the whole process
        # Refused (a sandbox): hashing keeps the normal priority.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
