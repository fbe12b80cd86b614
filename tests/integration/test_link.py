"""The Redis link against a real server: breaker, probe, recovery, failover."""

import asyncio
from typing import Any

import pytest

from adapters.failover.breaker import BreakerState
from adapters.failover.core import Failover
from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.failover.redis_errors import RedisUnavailableError
from domain.errors import DependencyUnavailableError
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def wait_for(state: BreakerState, link: Any, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while link.breaker.state is not state:  # noqa: ASYNC110 - polling a state machine
            await asyncio.sleep(0.01)


async def test_an_open_breaker_never_touches_the_network(own_redis: RedisServer) -> None:
    async with started_link(own_redis.url) as link:
        own_redis.hang()
        with pytest.raises(RedisUnavailableError):
            await link.call(link.client.ping)
        assert link.breaker.state is BreakerState.OPEN
        touched: list[bool] = []

        async def spy() -> None:
            touched.append(True)

        for _ in range(100):
            with pytest.raises(RedisUnavailableError):
                await link.call(spy)
        assert touched == []
        own_redis.resume()
        await wait_for(BreakerState.CLOSED, link)


async def test_start_with_redis_down_does_not_fail_and_recovers_by_itself(
    own_redis: RedisServer,
) -> None:
    own_redis.kill()
    async with started_link(own_redis.url) as link:
        assert link.breaker.state is BreakerState.OPEN
        own_redis.start()
        await wait_for(BreakerState.CLOSED, link)
        assert await link.call(link.client.ping) is True


async def test_writes_during_an_outage_are_replayed_in_order(own_redis: RedisServer) -> None:
    async with started_link(own_redis.url) as link:
        failover = Failover(link, "test", journal=link.journal)
        fallback_writes: list[str] = []
        own_redis.kill()
        for i in range(3):

            async def fallback(i: int = i) -> None:
                fallback_writes.append(f"v{i}")

            await failover.write(
                lambda i=i: link.client.rpush("log", f"v{i}"),
                fallback,
                ("rpush", lambda i=i: link.client.rpush("log", f"v{i}")),
            )
        assert fallback_writes == ["v0", "v1", "v2"]
        assert len(link.journal) == 3
        assert link.counters.fallback_ops["test"] == 3
        own_redis.start()
        await wait_for(BreakerState.CLOSED, link)
        assert await link.client.lrange("log", 0, -1) == ["v0", "v1", "v2"]
        assert len(link.journal) == 0


async def test_fail_closed_raises_instead_of_falling_back(own_redis: RedisServer) -> None:
    async with started_link(own_redis.url) as link:
        failover = Failover(link, "users", fail_closed=True, journal=link.journal)
        own_redis.kill()

        async def fallback() -> str:
            return "memory"

        with pytest.raises(DependencyUnavailableError) as caught:
            await failover.read(lambda: link.client.get("k"), fallback)
        assert caught.value.retry_after > 0
        assert link.counters.fallback_ops == {}  # refused, not served from memory


async def test_in_flight_requests_at_the_moment_of_failure_fall_back(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url, failures_to_open=3) as link:
        failover = Failover(link, "cache")
        await link.client.set("k", "redis")
        own_redis.hang()

        async def fallback() -> str:
            return "memory"

        results = await asyncio.gather(
            *(failover.read(lambda: link.client.get("k"), fallback) for _ in range(10))
        )
        assert results == ["memory"] * 10
        own_redis.resume()


async def test_a_recovery_tripped_while_it_runs_is_run_again(own_redis: RedisServer) -> None:
    """Something that opens the breaker during a recovery (the revocation feed losing its
    subscription) must not be papered over by that recovery closing it."""
    link = RedisLink(client_for(own_redis.url), ReplayJournal(10), 0.25, 1)
    runs: list[BreakerState] = []

    async def hook() -> None:
        runs.append(link.breaker.state)
        if len(runs) == 1:
            link.breaker.trip()

    link.on_recovery("feed", hook)
    await link.start()
    try:
        await wait_for(BreakerState.CLOSED, link)
        assert len(runs) == 2
    finally:
        await link.stop()


async def test_writes_acknowledged_before_redis_restarted_empty_are_written_again(
    own_redis: RedisServer,
) -> None:
    """Another server answers (here: the same port, restarted empty; a promoted replica
    alike): the repeatable writes acknowledged within the window reach it again; the
    others do not (they are not safe to run twice)."""
    async with started_link(own_redis.url) as link:
        failover = Failover(link, "test", journal=link.journal)

        async def nothing() -> None:
            return None

        async def set_kept() -> None:
            await link.client.set("kept", "1")

        async def set_once() -> None:
            await link.client.set("once", "1")

        await failover.write(set_kept, nothing, ("set_kept", set_kept), set_kept)
        await failover.write(set_once, nothing, ("set_once", set_once))
        server = await link.client.info("server")
        own_redis.restart()
        async with asyncio.timeout(10):
            while not link.breaker.opened:  # noqa: ASYNC110 - polling a state machine
                await asyncio.sleep(0.01)
        await wait_for(BreakerState.CLOSED, link)

        assert (await link.client.info("server"))["run_id"] != server["run_id"]
        assert await link.client.get("kept") == "1"
        assert await link.client.get("once") is None
        assert link.journal.requeued == 1


async def test_the_same_server_back_after_a_hang_gets_no_write_again(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        failover = Failover(link, "test", journal=link.journal)

        async def set_kept() -> None:
            await link.client.set("kept", "1")

        await failover.write(set_kept, set_kept, ("set_kept", set_kept), set_kept)
        own_redis.hang()
        async with asyncio.timeout(10):
            while not link.breaker.opened:  # noqa: ASYNC110 - polling a state machine
                await asyncio.sleep(0.01)
        own_redis.resume()
        await wait_for(BreakerState.CLOSED, link)

        assert link.journal.requeued == 0
