"""The link's jobs one by one against a real redis-server: the heartbeat, the server's
identity, the recovery order and the flush at stop."""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.failover.breaker import BreakerState, CircuitBreaker
from adapters.failover.counters import LinkCounters
from adapters.failover.flush import flush_at_stop
from adapters.failover.heartbeat import MISSES_TO_OPEN, Heartbeat
from adapters.failover.identity import SentinelMaster, ServerIdentity
from adapters.failover.journal import ReplayJournal
from adapters.failover.recovery import Recovery, recovering
from adapters.failover.redis_errors import RedisCommandError, RedisUnavailableError
from application.supervision import Supervisor
from tests.redis_fixtures import client_for
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


@pytest.fixture
async def client(own_redis: RedisServer) -> AsyncIterator[Any]:
    """A client of the test's own server (which it may kill or hang), closed after it."""
    client = client_for(own_redis.url)
    yield client
    if own_redis.process is not None:
        own_redis.resume()
    await client.aclose()


async def bounded(op: Any) -> Any:
    async with asyncio.timeout(1.0):
        return await op()


def identity_of(client: Any) -> ServerIdentity:
    return ServerIdentity(client, SentinelMaster(client, 0.25))


def heartbeat_on(client: Any, behind: bool = False) -> Heartbeat:
    return Heartbeat(CircuitBreaker(1), identity_of(client), LinkCounters(), 0.25, lambda: behind)


def recovery_on(client: Any, journal: ReplayJournal, supervisor: Supervisor) -> Recovery:
    breaker = CircuitBreaker(1)
    breaker.trip()
    return Recovery(
        client, breaker, journal, identity_of(client), LinkCounters(), bounded, supervisor
    )


async def test_the_same_server_keeps_its_identity_and_a_restarted_one_does_not(
    own_redis: RedisServer, client: Any
) -> None:
    identity = identity_of(client)
    assert await identity.renew(bounded)  # nothing known before: another server
    first = identity.run_id
    assert first is not None
    assert not await identity.renew(bounded)
    assert not identity.changed(await identity.ask(), None)
    own_redis.restart()
    await bounded(client.connection_pool.disconnect)
    assert identity.changed(await bounded(identity.ask), None)
    assert await identity.renew(bounded)
    assert identity.run_id not in (None, first)


async def test_a_client_not_on_sentinel_announces_no_master(client: Any) -> None:
    assert await SentinelMaster(client, 0.25).announced() is None


async def test_a_heartbeat_missed_once_is_forgiven_and_twice_opens(
    own_redis: RedisServer, client: Any
) -> None:
    heartbeat = heartbeat_on(client)
    await heartbeat.beat()
    assert heartbeat.counters.latency_ms is not None
    own_redis.hang()
    for missed in range(1, MISSES_TO_OPEN):
        await heartbeat.beat()
        assert (heartbeat.misses, heartbeat.breaker.state) == (missed, BreakerState.CLOSED)
    await heartbeat.beat()
    assert heartbeat.breaker.state is BreakerState.OPEN
    await heartbeat.beat()  # the breaker is open: no beat, misses forgotten
    assert heartbeat.misses == 0


async def test_a_refused_heartbeat_opens_at_once_and_so_does_another_server(
    own_redis: RedisServer, client: Any
) -> None:
    refused, restarted = heartbeat_on(client), heartbeat_on(client)
    await restarted.beat()
    own_redis.kill()
    await refused.beat()
    assert (refused.misses, refused.breaker.state) == (1, BreakerState.OPEN)
    own_redis.start()
    await client.connection_pool.disconnect()
    await restarted.beat()
    assert restarted.breaker.state is BreakerState.OPEN
    assert restarted.misses == 0  # it answered: another server, not a miss


async def test_a_heartbeat_behind_the_journal_asks_nothing(
    own_redis: RedisServer, client: Any
) -> None:
    heartbeat = heartbeat_on(client, behind=True)
    own_redis.hang()
    await heartbeat.beat()
    assert (heartbeat.misses, heartbeat.counters.latency_ms) == (0, None)


async def test_recovery_runs_the_hooks_in_order_then_the_replay_then_closes(client: Any) -> None:
    journal = ReplayJournal(10)
    recovery = recovery_on(client, journal, Supervisor())
    ran: list[str] = []

    async def hook(name: str) -> None:
        assert recovering() and recovery.breaker.state is BreakerState.HALF_OPEN
        ran.append(name)
        if name == "second":
            journal.append("test", "write", lambda: replayed("write"))

    async def replayed(name: str) -> None:
        ran.append(f"replayed {name}")

    recovery.hooks += [("first", lambda: hook("first")), ("second", lambda: hook("second"))]
    assert await recovery.run()
    assert ran == ["first", "second", "replayed write"]
    assert recovery.breaker.state is BreakerState.CLOSED
    assert not recovering()


@pytest.mark.parametrize(
    ("error", "closes"),
    [(RedisUnavailableError("breaker open"), False), (RedisCommandError("SET"), True)],
)
async def test_a_step_that_meets_an_outage_stops_recovery_and_a_bug_does_not(
    client: Any, error: Exception, closes: bool
) -> None:
    supervisor = Supervisor()
    recovery = recovery_on(client, ReplayJournal(10), supervisor)
    ran: list[str] = []

    async def failing() -> None:
        raise error

    async def later() -> None:
        ran.append("later")

    recovery.hooks += [("failing", failing), ("later", later)]
    assert await recovery.run() is closes
    assert ran == (["later"] if closes else [])
    assert supervisor.failures.get("recovery:failing", 0) == (1 if closes else 0)


async def test_recovery_with_the_server_down_fails_before_any_step(
    own_redis: RedisServer, client: Any
) -> None:
    recovery = recovery_on(client, ReplayJournal(10), Supervisor())
    ran: list[str] = []

    async def hook() -> None:
        ran.append("hook")

    recovery.hooks.append(("hook", hook))
    own_redis.kill()
    assert not await recovery.run()
    assert ran == []
    assert recovery.breaker.state is BreakerState.OPEN


async def test_the_flush_at_stop_replays_or_says_what_was_lost(
    own_redis: RedisServer, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    journal = ReplayJournal(10)
    recovery = recovery_on(client, journal, Supervisor())
    journal.append("test", "write", lambda: client.set("k", "v"))
    caplog.set_level(logging.INFO, "ballast.failover")
    await flush_at_stop(recovery)
    assert len(journal) == 0
    assert await client.get("k") == "v"
    journal.append("test", "write", lambda: client.set("k", "w"))
    own_redis.kill()
    await flush_at_stop(recovery)
    assert len(journal) == 1
    events = [r.getMessage().split()[0] for r in caplog.records]
    assert events[-2:] == ["event=journal_flushed_at_stop", "event=journal_lost_at_stop"]
