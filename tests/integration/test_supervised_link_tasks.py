"""The link's background tasks against a real redis-server, each made to fail and shown to
go on: the probe (a recovery step with a bug), the heartbeat (PING refused by an ACL), the
revocation feed (a bug applying one message), and the replay (a write Redis refuses)."""

import asyncio
from typing import Any

import pytest

from adapters.failover.breaker import BreakerState
from adapters.failover.core import Failover
from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.failover.revocations import ReplicatedRevocationList
from adapters.memory.auth import MemoryRevocationList
from adapters.redis.auth import RedisRevocationList
from application.supervision import Supervisor
from domain.tokens import Revocation, RevocationKind
from tests.fakes import FakeClock, token_claims
from tests.redis_fixtures import client_for
from tests.redis_server import RedisServer
from tests.support.waiting import until

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def new_link(server: RedisServer, supervisor: Supervisor, heartbeat: float = 0.05) -> RedisLink:
    return RedisLink(
        client_for(server.url),
        ReplayJournal(100),
        0.25,
        1,
        heartbeat_interval=heartbeat,
        supervisor=supervisor,
    )


async def test_the_probe_goes_on_when_a_recovery_step_raises(own_redis: RedisServer) -> None:
    supervisor = Supervisor()
    link = new_link(own_redis, supervisor)
    calls: list[int] = []

    async def buggy_hook() -> None:
        calls.append(len(calls))
        if len(calls) <= 2:  # at start, and at the probe's first try
            raise RuntimeError("a bug in a recovery step")

    link.on_recovery("buggy", buggy_hook)
    await link.start()  # does not raise: start-up goes on, on the fallbacks
    try:
        assert link.breaker.state is not BreakerState.CLOSED
        assert await until(lambda: link.breaker.state is BreakerState.CLOSED, within=20)
        assert supervisor.failures["redis_probe"] == 2
        assert len(calls) == 3
        # And again after a real outage.
        own_redis.kill()
        assert await until(lambda: link.breaker.state is BreakerState.OPEN)
        own_redis.start()
        assert await until(lambda: link.breaker.state is BreakerState.CLOSED)
        assert len(calls) == 4
    finally:
        await link.stop()


async def test_the_heartbeat_goes_on_when_its_ping_is_refused_by_the_server(
    own_redis: RedisServer,
) -> None:
    supervisor = Supervisor()
    link = new_link(own_redis, supervisor)
    await link.start()
    try:
        # The heartbeat asks INFO for the run id and PINGs where INFO is refused.
        await link.client.execute_command("ACL", "SETUSER", "default", "-ping", "-info")
        assert await until(lambda: supervisor.failures.get("redis_heartbeat", 0) >= 2)
        # NOPERM is a refusal of the command, not an outage: the breaker stays closed.
        assert link.breaker.state is BreakerState.CLOSED
        await link.client.execute_command("ACL", "SETUSER", "default", "+ping", "+info")
        own_redis.hang()  # the heartbeat still runs: it finds the hang
        assert await until(lambda: link.breaker.state is BreakerState.OPEN)
        own_redis.resume()
        assert await until(lambda: link.breaker.state is BreakerState.CLOSED)
    finally:
        await link.stop()


async def test_the_revocation_feed_goes_on_after_a_message_it_failed_to_apply(
    own_redis: RedisServer,
) -> None:
    supervisor = Supervisor()
    link = new_link(own_redis, supervisor, heartbeat=60)
    clock = FakeClock()
    # Eight entries at most: every write sweeps, so every write reads the clock.
    replica = MemoryRevocationList(clock, max_entries=8)
    revocations = ReplicatedRevocationList(
        RedisRevocationList(link.client),
        replica,
        Failover(link, "tokens", journal=link.journal),
        link,
    )
    link.on_recovery("revocations", revocations.resync)
    await link.start()
    publisher_client: Any = client_for(own_redis.url)
    publisher = RedisRevocationList(publisher_client)
    until_ = int(clock.now()) + 3600
    try:
        clock.fail(1)
        await publisher.revoke(Revocation(RevocationKind.TOKEN, "lost", until_))
        assert await until(lambda: supervisor.failures.get("revocation_feed") == 1)
        await publisher.revoke(Revocation(RevocationKind.TOKEN, "kept", until_))
        async with asyncio.timeout(10):
            while not await revocations.is_revoked(token_claims("kept", "-")):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert link.breaker.state is BreakerState.CLOSED
    finally:
        await publisher_client.aclose()
        await revocations.stop()
        await link.stop()


async def test_a_journaled_write_redis_refuses_is_dropped_and_the_rest_replayed(
    own_redis: RedisServer,
) -> None:
    supervisor = Supervisor()
    link = new_link(own_redis, supervisor, heartbeat=60)
    await link.start()
    failover = Failover(link, "test", journal=link.journal)
    try:
        await link.client.set("counter", "not a number")
        own_redis.hang()

        async def nothing() -> None:
            return None

        for op in ("bad", "good"):
            if op == "bad":
                replay = ("incr", lambda: link.client.incr("counter"))
            else:
                replay = ("set", lambda: link.client.set("after", "replayed"))
            await failover.write(replay[1], nothing, replay)
        assert len(link.journal) == 2
        own_redis.resume()
        assert await until(lambda: link.breaker.state is BreakerState.CLOSED)
        assert await link.client.get("after") == "replayed"
        assert len(link.journal) == 0 and link.journal.dropped == 1
    finally:
        await link.stop()


async def test_writes_still_in_the_journal_at_stop_reach_redis(own_redis: RedisServer) -> None:
    link = new_link(own_redis, Supervisor(), heartbeat=60)
    await link.start()
    failover = Failover(link, "test", journal=link.journal)

    async def nothing() -> None:
        return None

    own_redis.kill()
    await failover.write(
        lambda: link.client.set("k", "v"), nothing, ("set", lambda: link.client.set("k", "v"))
    )
    assert len(link.journal) == 1
    own_redis.start()  # empty; the instance stops before or after its probe noticed
    await link.stop()

    assert len(link.journal) == 0
    direct: Any = client_for(own_redis.url)
    try:
        assert await direct.get("k") == "v"
    finally:
        await direct.aclose()
