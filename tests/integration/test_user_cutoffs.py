"""Per-user cut-offs on a real redis-server: announced to every replica, loaded at start,
written back to a Redis that lost them, and never replaced by an earlier cut-off."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from adapters.failover.core import Failover
from adapters.failover.revocations import ReplicatedRevocationList
from adapters.memory.auth import MemoryRevocationList
from adapters.redis.auth import RedisRevocationList
from adapters.system import SystemClock
from domain.tokens import Revocation, RevocationKind
from tests.fakes import token_claims
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer
from tests.support.waiting import until

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def replica(url: str) -> AsyncIterator[ReplicatedRevocationList]:
    async with started_link(url) as link:
        revocations = ReplicatedRevocationList(
            RedisRevocationList(link.client),
            MemoryRevocationList(SystemClock()),
            Failover(link, "tokens", journal=link.journal),
            link,
        )
        link.on_recovery("revocations", revocations.resync)
        await revocations.resync()
        try:
            yield revocations
        finally:
            await revocations.stop()


def cutoff(at: float, spared: str = "") -> Revocation:
    return Revocation(RevocationKind.USER, "alice", int(at) + 600, at, spared)


async def test_a_cutoff_reaches_every_replica_and_a_replica_started_later(
    redis_server: RedisServer,
) -> None:
    now = time.time()
    before = token_claims("j1", "f1", sub="alice", iat=now - 1)
    after = token_claims("j2", "f2", sub="alice", iat=now + 1)
    async with replica(redis_server.url) as a, replica(redis_server.url) as b:
        await a.revoke(cutoff(now))
        assert await until(lambda: b.is_revoked(before))
        assert not await b.is_revoked(after)
    async with replica(redis_server.url) as late:
        assert await late.is_revoked(before)
        assert not await late.is_revoked(after)


async def test_a_cutoff_made_while_redis_was_empty_is_written_back(
    own_redis: RedisServer,
) -> None:
    now = time.time()
    before = token_claims("j1", "f1", sub="alice", iat=now - 1)
    async with replica(own_redis.url) as a:
        own_redis.kill()
        await a.revoke(cutoff(now))  # journaled: Redis is gone
        assert await a.is_revoked(before)
        own_redis.start()  # back, and empty
        async with replica(own_redis.url) as late:
            assert await until(lambda: late.is_revoked(before))


async def test_an_earlier_cutoff_never_replaces_a_later_one_in_redis(
    redis_server: RedisServer,
) -> None:
    now = time.time()
    client: Any = client_for(redis_server.url)
    try:
        redis = RedisRevocationList(client)
        await redis.revoke(cutoff(now, spared="kept"))
        await redis.write_back([cutoff(now - 30)])
        await redis.revoke(cutoff(now - 60))
        loaded = await redis.load()
    finally:
        await client.aclose()

    (stored,) = [r for r in loaded if r.kind is RevocationKind.USER]
    assert stored == cutoff(now, spared="kept")
