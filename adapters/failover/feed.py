"""A replica's subscription to its Redis channel: at most one listener at a time, started
by the recovery hook and outliving it; a lost subscription goes through recovery."""

import asyncio
from collections.abc import Awaitable, Callable

from adapters.failover.link import RedisLink
from application.supervision import detached


class Feed:
    def __init__(
        self,
        link: RedisLink,
        name: str,
        listen: Callable[[Callable[[], None]], Awaitable[None]],
    ) -> None:
        """`listen(on_subscribed)` subscribes, calls `on_subscribed`, and passes records on
        until the subscription fails (raises)."""
        self._link, self._name, self._listen = link, name, listen
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Returns once subscribed (a listener already running is kept)."""
        if self._task is not None and not self._task.done():
            return
        subscribed = asyncio.Event()
        # A fresh context: the listener outlives the recovery that starts it.
        self._task = detached(self._run(subscribed), self._name)
        async with asyncio.timeout(self._link.command_timeout * 4):
            await subscribed.wait()

    async def _run(self, subscribed: asyncio.Event) -> None:
        try:
            await self._listen(subscribed.set)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._link.lost(self._name, e)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
