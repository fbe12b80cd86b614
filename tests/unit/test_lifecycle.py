"""Start and stop hooks, and periodic background steps."""

import asyncio

import pytest

from application.supervision import Supervisor
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


async def test_a_periodic_step_that_raises_is_logged_once_and_runs_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor()
    lifecycle = Lifecycle(supervisor=supervisor)
    calls: list[int] = []
    healthy_again = asyncio.Event()

    async def step() -> None:
        calls.append(len(calls))
        if len(calls) <= 3:
            raise RuntimeError("boom")
        healthy_again.set()

    lifecycle.every(0.001, step, "flaky")
    await lifecycle.start()
    async with asyncio.timeout(10):
        await healthy_again.wait()
    await lifecycle.stop()

    assert supervisor.failures["flaky"] == 3
    failed = [r for r in caplog.records if "event=task_failed task=flaky" in r.getMessage()]
    recovered = [r for r in caplog.records if "event=task_recovered task=flaky" in r.getMessage()]
    assert len(failed) == 1
    assert len(recovered) == 1 and "count=3" in recovered[0].getMessage()


async def test_a_new_kind_of_failure_is_logged_again(caplog: pytest.LogCaptureFixture) -> None:
    supervisor = Supervisor()
    errors = [KeyError("a"), KeyError("b"), ValueError("c")]

    async def step() -> None:
        raise errors.pop(0)

    outcomes = [await supervisor.attempt("mixed", step) for _ in range(3)]

    assert outcomes == [False, False, False]
    assert supervisor.failures["mixed"] == 3
    logged = [r.getMessage() for r in caplog.records if "event=task_failed" in r.getMessage()]
    assert [m.split("error=")[1].split()[0] for m in logged] == ["KeyError", "ValueError"]


async def test_stop_runs_every_stop_hook_even_when_some_raise() -> None:
    lifecycle = Lifecycle(supervisor=Supervisor())
    stopped: list[str] = []
    for name in ("a", "b", "c"):

        async def stop(name: str = name) -> None:
            stopped.append(name)
            if name != "a":
                raise RuntimeError(f"{name} failed to stop")

        lifecycle.on_stop(stop)
    await lifecycle.stop()
    assert stopped == ["c", "b", "a"]
    assert lifecycle.supervisor.failures == {
        "stop:test_stop_runs_every_stop_hook_even_when_some_raise.<locals>.stop": 2
    }


async def test_a_supervised_task_that_raises_is_started_again() -> None:
    supervisor = Supervisor()
    runs: list[int] = []
    done = asyncio.Event()

    async def body() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError("crashed")
        done.set()

    task = supervisor.spawn("worker", body, restart_after=0.001)
    async with asyncio.timeout(10):
        await done.wait()
    await task
    assert len(runs) == 3 and supervisor.failures["worker"] == 2


async def test_a_stop_hook_that_hangs_is_given_up_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lifecycle = Lifecycle(stop_hook_timeout=0.2)
    stopped: list[str] = []

    async def hangs() -> None:
        await asyncio.Event().wait()  # never set: a task that ignores its end

    async def first_registered() -> None:
        stopped.append("first")

    lifecycle.on_stop(first_registered)
    lifecycle.on_stop(hangs)
    await asyncio.wait_for(lifecycle.stop(), 5)
    assert stopped == ["first"]
    assert "hangs" in caplog.text
