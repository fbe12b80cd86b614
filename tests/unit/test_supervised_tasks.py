"""Each background task of the application layer, made to fail (a bug injected through the
clock every step reads), keeps going under the supervisor: the delivery worker, its sweep
and the rate refresh."""

import asyncio

import pytest

from adapters.fallback_rates import fallback_table
from adapters.memory.rates import MemoryRateCache
from application.currency.rates_service import RatesService
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from application.supervision import Supervisor
from domain.rates import RateOrigin
from tests.currency_fakes import FakeRateFeed
from tests.fakes import FakeClock
from tests.support.notification_world import notification_world
from tests.support.waiting import until

pytestmark = pytest.mark.anyio


async def test_the_delivery_worker_that_raises_is_started_again_and_delivers() -> None:
    world = notification_world()
    supervisor = Supervisor()
    notification_id = await world.sent()
    world.clock.fail(1)  # the worker's next step raises

    task = supervisor.spawn("delivery_worker", world.worker.run, restart_after=0.01)
    assert await until(lambda: world.channels.delivered)
    world.worker.stop()
    await task

    assert [n.id for n in world.channels.delivered] == [notification_id]
    assert supervisor.failures["delivery_worker"] == 1


async def test_the_sweep_that_raises_runs_again_at_its_next_interval() -> None:
    policy = RetryPolicy(sweep_grace=0.0, sweep_interval=0.01)
    world = notification_world(policy)
    notification_id = await world.sent()  # queued by the sender's worker, not this one
    survivor = DeliveryWorker(world.repository, world.channels, world.clock, policy)
    supervisor = Supervisor()
    world.clock.fail(2)  # the next two sweeps raise

    task = asyncio.create_task(survivor.sweep_periodically(supervisor))
    assert await until(lambda: len(survivor) == 1)
    survivor.stop()
    await task

    assert supervisor.failures["delivery_sweep"] == 2
    await survivor.drain()
    assert [n.id for n in world.channels.delivered] == [notification_id]


async def test_a_rate_refresh_that_raises_is_logged_and_tried_again_later() -> None:
    clock, feed = FakeClock(), FakeRateFeed()
    supervisor = Supervisor()
    rates = RatesService(
        feed,
        MemoryRateCache(clock),
        clock,
        fallback_table(),
        ttl=3600,
        retry_interval=30,
        supervisor=supervisor,
    )
    assert rates.snapshot().stale  # the built-in table: a refresh starts in the background
    clock.fail(1)  # and raises
    first = rates.refreshing
    assert first is not None
    await first
    assert supervisor.failures["rates_refresh"] == 1
    assert rates.snapshot().table.source is RateOrigin.FALLBACK
    assert rates.refreshing is None  # not again before the retry interval

    clock.advance(31)
    rates.snapshot()  # past the retry interval: a new attempt
    refreshing = rates.refreshing
    if refreshing is not None:
        await refreshing
    assert rates.snapshot().table.source is RateOrigin.LIVE
    assert supervisor.failures["rates_refresh"] == 1
