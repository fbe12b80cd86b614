"""Start-up and shut-down hooks that adapters register and the app's lifespan runs."""

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

    async def start(self) -> None:
        for hook in self.starting:
            await hook()

    async def stop(self) -> None:
        self.shutting_down = True
        for hook in reversed(self.stopping):
            await hook()
