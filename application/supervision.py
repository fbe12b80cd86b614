"""Background work that never dies silently.

Every background task of the service (the Redis probe and heartbeat, the revocation feed,
the delivery worker and its sweep, the rate refresh, periodic steps) runs through one
`Supervisor`: a step that raises is logged once per distinct error, counted, and runs again,
instead of ending its loop unnoticed. Each task still handles its expected errors itself
(Redis down, a feed unreachable); what reaches the supervisor is a bug or a surprise.
"""

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger("ballast.supervision")
Step = Callable[[], Awaitable[object]]


def _signature(error: BaseException) -> str:
    """What makes two failures "the same": the error type and where it was raised. The
    message is left out: it may hold user data, and it varies between equal failures."""
    where = "-"
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        where = f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        tb = tb.tb_next
    return f"{type(error).__name__}@{where}"


class Supervisor:
    """One per process (`SUPERVISOR`); tests may build their own."""

    def __init__(self) -> None:
        # Failures per task since start: read by /metrics and by tests.
        self.failures: dict[str, int] = {}
        # The failure a task is in now: its signature and how often it repeated.
        self._current: dict[str, tuple[str, int]] = {}

    def failed(self, task: str, error: BaseException) -> None:
        """Logs the first of a run of equal failures, counts the rest."""
        self.failures[task] = self.failures.get(task, 0) + 1
        signature = _signature(error)
        current = self._current.get(task)
        if current is not None and current[0] == signature:
            self._current[task] = (signature, current[1] + 1)
            return
        if current is not None:
            self._log_run_ended(task, current)
        self._current[task] = (signature, 1)
        log.error(
            "event=task_failed task=%s error=%s at=%s",
            task,
            type(error).__name__,
            signature.split("@", 1)[1],
            exc_info=error,
        )

    def succeeded(self, task: str) -> None:
        current = self._current.pop(task, None)
        if current is not None:
            self._log_run_ended(task, current)

    @staticmethod
    def _log_run_ended(task: str, current: tuple[str, int]) -> None:
        signature, count = current
        log.warning("event=task_recovered task=%s error=%s count=%d", task, signature, count)

    async def attempt(self, task: str, step: Step) -> bool:
        """Runs `step` once; False (logged, counted) if it raised."""
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - the one place that catches everything
            self.failed(task, e)
            return False
        self.succeeded(task)
        return True

    async def every(
        self,
        task: str,
        seconds: float,
        step: Step,
        at_once: bool = False,
        running: Callable[[], bool] = lambda: True,
    ) -> None:
        """Runs `step` every `seconds` (first at once if `at_once`) while `running()`."""
        if not at_once:
            await asyncio.sleep(seconds)
        while running():
            await self.attempt(task, step)
            await asyncio.sleep(seconds)

    async def keep_running(self, task: str, body: Step, restart_after: float = 1.0) -> None:
        """Runs `body` until it returns; when it raises, again after `restart_after`."""
        while True:
            if await self.attempt(task, body):
                return
            await asyncio.sleep(restart_after)

    def spawn(self, task: str, body: Step, restart_after: float = 1.0) -> "asyncio.Task[None]":
        """`keep_running` as a background task."""
        return detached(self.keep_running(task, body, restart_after), task)


def detached(work: Coroutine[Any, Any, None], name: str) -> "asyncio.Task[None]":
    """A background task of the running loop in a fresh context: it outlives whatever
    request or hook started it and must not inherit its state (a request's Redis budget)."""
    return asyncio.get_running_loop().create_task(work, name=name, context=contextvars.Context())


SUPERVISOR = Supervisor()
