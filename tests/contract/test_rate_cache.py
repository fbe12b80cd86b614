"""The RateCache contract, run against the memory, Redis and failover adapters."""

import asyncio
import datetime
from decimal import Decimal

import pytest

from adapters.failover.core import Failover
from adapters.failover.rates import FailoverRateCache
from adapters.memory.rates import MemoryRateCache
from adapters.redis.rates import RedisRateCache
from adapters.system import SystemClock
from domain.ports import RateCache
from domain.rates import RateOrigin
from tests.contract.backends import Backend
from tests.currency_fakes import table

pytestmark = pytest.mark.anyio


def rate_cache(backend: Backend) -> RateCache:
    cache: RateCache = backend.pick(
        memory=lambda: MemoryRateCache(SystemClock()),
        redis=RedisRateCache,
        failover=lambda link: FailoverRateCache(
            RedisRateCache(link.client),
            MemoryRateCache(SystemClock()),
            Failover(link, "rates", fail_closed=False, journal=None),
        ),
    )
    return cache


async def test_an_empty_cache_has_no_table(backend: Backend) -> None:
    assert await rate_cache(backend).get() is None


async def test_a_table_comes_back_exactly_as_it_was_put(backend: Backend) -> None:
    cache = rate_cache(backend)
    put = table(
        {"USD": "1.0573", "JPY": "162.88", "IDR": "16821.53", "KWD": "0.325710"},
        fetched_at=1_800_000_123.25,
    )
    await cache.put(put, ttl=60)
    got = await cache.get()
    assert got == put
    assert got is not None
    assert all(type(rate) is Decimal for rate in got.rates.values())
    assert str(got.rates["KWD"]) == "0.325710"  # not a digit added or lost
    assert got.as_of == datetime.date(2026, 11, 24)
    assert got.source is RateOrigin.LIVE


async def test_a_later_put_replaces_the_table(backend: Backend) -> None:
    cache = rate_cache(backend)
    await cache.put(table({"USD": "1.05"}, fetched_at=1.0), ttl=60)
    await cache.put(table({"USD": "1.06"}, fetched_at=2.0), ttl=60)
    got = await cache.get()
    assert got is not None
    assert got.rates == {"USD": Decimal("1.06")}
    assert got.fetched_at == 2.0


async def test_a_table_is_gone_after_its_ttl(backend: Backend) -> None:
    cache = rate_cache(backend)
    await cache.put(table(), ttl=1)
    assert await cache.get() is not None
    await asyncio.sleep(1.2)
    assert await cache.get() is None
