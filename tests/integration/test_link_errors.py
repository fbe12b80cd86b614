"""What the link counts as an outage, the heartbeat and the per-request budget, against real
redis-server processes (refused, SIGSTOP-hung, a replica answering READONLY, a server
BUSY running a script)."""

import asyncio
import socket
from typing import Any

import pytest

from adapters.failover.breaker import BreakerState
from adapters.failover.budget import RedisBudget
from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.failover.redis_errors import RedisCommandError, RedisUnavailableError
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def wait_for(state: BreakerState, link: Any, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while link.breaker.state is not state:  # noqa: ASYNC110 - polling a state machine
            await asyncio.sleep(0.01)


async def test_a_data_error_is_a_command_error_and_never_opens_the_breaker(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with started_link(own_redis.url, failures_to_open=1) as link:
        await link.client.set("name", "secret-user-data")
        for _ in range(5):
            with pytest.raises(RedisCommandError) as caught:
                await link.call(lambda: link.client.incr("name"))
            assert caught.value.command == "INCRBY"  # what redis-py sends for incr

        async def pipelined() -> Any:
            pipe = link.client.pipeline(transaction=False)
            pipe.get("name")
            pipe.zadd("name", {"member": 1.0})
            return await pipe.execute()

        with pytest.raises(RedisCommandError) as caught:
            await link.call(pipelined)
        assert caught.value.command == "ZADD"
        assert link.breaker.state is BreakerState.CLOSED
        assert link.counters.command_errors == 6
        assert await link.call(lambda: link.client.get("name")) == "secret-user-data"
    assert not any("secret-user-data" in r.getMessage() for r in caplog.records)


async def test_readonly_from_a_replica_is_an_outage(own_redis: RedisServer) -> None:
    replica = RedisServer().start()
    try:
        async with started_link(replica.url, failures_to_open=1) as link:
            await link.client.replicaof("127.0.0.1", own_redis.port)
            with pytest.raises(RedisUnavailableError):
                await link.call(lambda: link.client.set("k", "v"))
            assert link.breaker.state is not BreakerState.CLOSED
            assert link.counters.command_errors == 0
    finally:
        replica.stop()


async def test_busy_running_a_script_is_an_outage(own_redis: RedisServer) -> None:
    async with started_link(own_redis.url, failures_to_open=1) as link:
        await link.client.config_set("busy-reply-threshold", 50)
        # A script that never ends, sent from its own connection, left running.
        busy = socket.create_connection(("127.0.0.1", own_redis.port))
        try:
            busy.sendall(b'EVAL "while true do end" 0\r\n')
            await asyncio.sleep(0.2)  # past the threshold: the server now answers BUSY
            with pytest.raises(RedisUnavailableError) as caught:
                await link.call(lambda: link.client.get("k"))
            assert "ResponseError" in str(caught.value)
            assert link.breaker.state is not BreakerState.CLOSED
        finally:
            killer = socket.create_connection(("127.0.0.1", own_redis.port))
            killer.sendall(b"SCRIPT KILL\r\n")
            killer.recv(64)
            killer.close()
            busy.close()
        await wait_for(BreakerState.CLOSED, link)


@pytest.mark.parametrize("outage", ["hung", "killed"])
async def test_the_heartbeat_opens_the_breaker_with_no_request_at_all(
    own_redis: RedisServer, outage: str
) -> None:
    link = RedisLink(client_for(own_redis.url), ReplayJournal(10), 0.25, 3, heartbeat_interval=0.05)
    await link.start()
    try:
        assert link.breaker.state is BreakerState.CLOSED
        if outage == "hung":
            own_redis.hang()
        else:
            own_redis.kill()
        await wait_for(BreakerState.OPEN, link)
        touched: list[bool] = []

        async def spy() -> None:
            touched.append(True)

        with pytest.raises(RedisUnavailableError):
            await link.call(spy)
        assert touched == []
        if outage == "hung":
            own_redis.resume()
        else:
            own_redis.start()
        await wait_for(BreakerState.CLOSED, link)
    finally:
        await link.stop()


async def test_one_request_waits_on_redis_one_command_timeout_in_total(
    own_redis: RedisServer,
) -> None:
    # No heartbeat and a breaker that never opens: only the budget keeps the request short.
    link = RedisLink(client_for(own_redis.url), ReplayJournal(10), 0.25, 100, heartbeat_interval=60)
    await link.start()
    try:
        own_redis.hang()
        reached: list[int] = []

        async def command(i: int) -> None:
            reached.append(i)
            await link.client.get(f"k{i}")

        with RedisBudget() as budget:
            for i in range(5):
                with pytest.raises(RedisUnavailableError):
                    await link.call(lambda i=i: command(i))
        assert reached == [0]  # the first timed out; the other four never left
        assert link.counters.budget_refusals == 4
        assert link.breaker.consecutive_failures == 1
        assert budget.spent >= link.command_timeout
        # Another request has its own budget.
        with RedisBudget(), pytest.raises(RedisUnavailableError):
            await link.call(lambda: command(5))
        assert reached == [0, 5]
        own_redis.resume()
    finally:
        await link.stop()
