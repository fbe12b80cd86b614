"""Polling with a functional deadline: how long a test is willing to wait for something that
happens in the background, never a speed measurement."""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


def eventually(check: Callable[[], object], within: float = 10.0) -> bool:
    """True as soon as `check()` holds; its last answer after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


async def until(
    check: Callable[[], object | Awaitable[object]], within: float = 10.0, step: float = 0.01
) -> bool:
    """`eventually` on the event loop, for a plain or an awaitable check: the loop runs the
    work the test waits for between two looks, `step` seconds apart."""

    async def holds() -> bool:
        answer = check()
        return bool(await answer if inspect.isawaitable(answer) else answer)

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await holds():
            return True
        await asyncio.sleep(step)
    return await holds()
