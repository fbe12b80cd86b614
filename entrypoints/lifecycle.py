"""Start-up and shut-down hooks that adapters register and the app's lifespan runs."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import attrs

from application.supervision import SUPERVISOR, Supervisor, detached

Hook = Callable[[], Awaitable[None]]
log = logging.getLogger("ballast")
# A stop hook that has not finished after this many seconds is given up (logged as failed),
# so a shut-down always ends: a process manager's SIGTERM must not turn into its SIGKILL.
# Above the Redis link's own bounds at stop (heartbeat 1.5 s, journal flush 5 s).
STOP_HOOK_TIMEOUT = 10.0


def _name(hook: Hook) -> str:
    return getattr(hook, "__qualname__", None) or repr(hook)


@attrs.define
class Lifecycle:
    """Hooks run in registration order at start and in reverse order at stop."""

    starting: list[Hook] = attrs.Factory(list)
    stopping: list[Hook] = attrs.Factory(list)
    shutting_down: bool = False
    supervisor: Supervisor = SUPERVISOR
    stop_hook_timeout: float = STOP_HOOK_TIMEOUT

    def on_start(self, hook: Hook) -> None:
        self.starting.append(hook)

    def on_stop(self, hook: Hook) -> None:
        self.stopping.append(hook)

    def every(self, seconds: float, step: Hook, name: str | None = None) -> None:
        """Runs `step` every `seconds` from start to stop, in one supervised background
        task: a step that raises is logged (once per distinct error) and runs again at its
        next tick."""
        task: asyncio.Task[None] | None = None
        label = name or _name(step)

        async def start() -> None:
            nonlocal task
            # Stops at the flag too: a cancellation lost inside a step must not keep it going.
            running = lambda: not self.shutting_down  # noqa: E731
            task = detached(self.supervisor.every(label, seconds, step, running=running), label)

        async def stop() -> None:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        self.on_start(start)
        self.on_stop(stop)

    async def start(self) -> None:
        for hook in self.starting:
            await hook()

    async def stop(self) -> None:
        """Every stop hook runs, even when some raise or hang (each failure is logged, a
        hook is given `stop_hook_timeout` seconds)."""
        self.shutting_down = True
        for hook in reversed(self.stopping):

            async def bounded(hook: Hook = hook) -> None:
                await asyncio.wait_for(hook(), self.stop_hook_timeout)

            await self.supervisor.attempt(f"stop:{_name(hook)}", bounded)
