"""Start and stop hooks, and periodic background steps."""

import asyncio

import pytest

from entrypoints.lifecycle import Lifecycle

pytestmark = pytest.mark.anyio


async def test_hooks_start_in_order_and_stop_in_reverse() -> None:
    lifecycle = Lifecycle()
    seen: list[str] = []
    for name in ("a", "b"):

        async def start(name: str = name) -> None:
            seen.append(f"start {name}")

        async def stop(name: str = name) -> None:
            seen.append(f"stop {name}")

        lifecycle.on_start(start)
        lifecycle.on_stop(stop)
    await lifecycle.start()
    await lifecycle.stop()
    assert seen == ["start a", "start b", "stop b", "stop a"]
    assert lifecycle.shutting_down


async def test_a_periodic_step_runs_until_stop_and_never_after() -> None:
    lifecycle = Lifecycle()
    steps: list[int] = []
    three = asyncio.Event()

    async def step() -> None:
        steps.append(len(steps))
        if len(steps) == 3:
            three.set()

    lifecycle.every(0.001, step)
    await lifecycle.start()
    async with asyncio.timeout(10):
        await three.wait()
    await lifecycle.stop()
    done = len(steps)
    await asyncio.sleep(0.05)
    assert done >= 3 and len(steps) == done
