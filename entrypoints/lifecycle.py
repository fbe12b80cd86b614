"""Start-up and shut-down hooks that adapters register and the app's lifespan runs."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import attrs

Hook = Callable[[], Awaitable[None]]
log = logging.getLogger("ballast")


@attrs.define
class Lifecycle:
    """Hooks run in registration order at start and in reverse order at stop."""

    starting: list[Hook] = attrs.Factory(list)
    stopping: list[Hook] = attrs.Factory(list)
    shutting_down: bool = False

    def on_start(self, hook: Hook) -> None:
        self.starting.append(hook)

    def on_stop(self, hook: Hook) -> None:
        self.stopping.append(hook)

    def every(self, seconds: float, step: Hook) -> None:
        """Runs `step` every `seconds` from start to stop, in one background task; a step
        that raises ends nothing but itself (each step handles its own expected errors)."""
        task: asyncio.Task[None] | None = None

        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                await step()

        async def start() -> None:
            nonlocal task
            task = asyncio.get_running_loop().create_task(loop())

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
        self.shutting_down = True
        for hook in reversed(self.stopping):
            await hook()
