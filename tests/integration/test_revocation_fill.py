"""The replica fills in the background on a real redis-server: an instance answers at once,
asks Redis about what it has not loaded yet, refuses rather than guess when Redis cannot
answer then, and writes back what a Redis that came back empty lacks."""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from adapters.failover.core import Failover
from adapters.failover.revocations import ReplicatedRevocationList
from adapters.memory.auth import MemoryRevocationList
from adapters.redis import keys
from adapters.redis.auth import RedisRevocationList, revocation_value
from adapters.system import SystemClock
from domain.errors import DependencyUnavailableError
from domain.tokens import Revocation, RevocationKind
from tests.fakes import token_claims
from tests.redis_fixtures import client_for, started_link
from tests.redis_server import RedisServer

pytestmark = pytest.mark.anyio
HELD = 5_000


async def fill_redis(url: str, count: int) -> list[Revocation]:
    """`count` family revocations written straight into Redis, as other instances left them."""
    until = int(time.time()) + 3600
    revoked = [
        Revocation(RevocationKind.FAMILY, secrets.token_urlsafe(16), until) for _ in range(count)
    ]
    client: Any = client_for(url)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for r in revoked:
                pipe.set(keys.revocation(r.kind.value, r.id), revocation_value(r), exat=until)
            await pipe.execute()
    finally:
        await client.aclose()
    return revoked


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
        try:
            yield revocations
        finally:
            await revocations.stop()


async def test_every_revoked_token_is_refused_from_the_first_check_to_the_full_replica(
    redis_server: RedisServer,
) -> None:
    revoked = await fill_redis(redis_server.url, HELD)
    async with replica(redis_server.url) as revocations:
        await revocations.resync()
        assert not revocations.complete  # the fill has not run yet: checks ask Redis
        first = [await revocations.is_revoked(token_claims("j", r.id)) for r in revoked[-50:]]
        assert all(first)
        await revocations.loaded()
        assert revocations.complete and len(revocations.replica) >= HELD
        assert all([await revocations.is_revoked(token_claims("j", r.id)) for r in revoked])
        assert not await revocations.is_revoked(token_claims("j", secrets.token_urlsafe(16)))


async def test_a_check_redis_cannot_answer_during_the_fill_is_refused_not_accepted(
    own_redis: RedisServer,
) -> None:
    revoked = await fill_redis(own_redis.url, 100)
    async with replica(own_redis.url) as revocations:
        await revocations.resync()
        own_redis.hang()  # before the fill's first batch
        try:
            with pytest.raises(DependencyUnavailableError):
                await revocations.is_revoked(token_claims("j", revoked[0].id))
            assert not revocations.complete
        finally:
            own_redis.resume()
        await revocations.loaded()  # failed; the link's recovery fills again
        async with asyncio.timeout(10):
            while not revocations.complete:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert await revocations.is_revoked(token_claims("j", revoked[0].id))


async def test_what_a_redis_back_empty_lacks_is_written_back_after_the_fill(
    own_redis: RedisServer,
) -> None:
    revoked = await fill_redis(own_redis.url, 3_000)
    async with replica(own_redis.url) as revocations:
        await revocations.resync()
        await revocations.loaded()
        own_redis.kill()
        own_redis.start()  # back, and empty
        async with replica(own_redis.url) as late:
            await late.resync()
            late_checks = [token_claims("j", r.id) for r in revoked[::97]]
            async with asyncio.timeout(20):
                while not all([await late.is_revoked(c) for c in late_checks]):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
