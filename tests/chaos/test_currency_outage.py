"""Currency while Redis hangs or comes back empty: conversions never touch Redis, and the
shared cache is filled again by the next refresh."""

import asyncio
from typing import Any

import pytest
from starlette.testclient import TestClient

from adapters.failover.link import RedisLink
from adapters.redis import keys
from domain.ports import Clock, PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import RedisSettings, Storage
from tests.fakes import FakeClock, fast_hasher
from tests.feed_server import feed_server
from tests.redis_fixtures import client_for
from tests.redis_server import RedisServer
from tests.support.apps import settings
from tests.support.currency_app import TTL, rates
from tests.support.waiting import eventually

pytestmark = pytest.mark.redis


def redis_has_rates(server: RedisServer) -> bool:
    async def check() -> bool:
        client: Any = client_for(server.url, timeout=2.0)
        try:
            return bool(await client.exists(keys.RATES))
        finally:
            await client.aclose()

    return asyncio.run(check())


def test_conversions_make_no_redis_call_while_redis_hangs(own_redis: RedisServer) -> None:
    with feed_server() as feed:
        config = settings(
            redis=RedisSettings(own_redis.url),
            storage=Storage.REDIS,
            rates_urls=(feed.url,),
            rates_ttl=TTL,
        )
        container = bootstrap(config, {PasswordHasher: fast_hasher()})
        link: RedisLink = container.resolve(RedisLink)
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            assert rates(client)["source"] == "live"
            own_redis.hang()
            before = link.counters.fallback_ops.get("rates", 0)
            answers = [
                client.get(
                    "/api/currency/convert", params={"amount": "99.99", "from": "GBP", "to": "JPY"}
                )
                for _ in range(100)
            ]
            assert all(a.status_code == 200 for a in answers)
            assert {a.json()["result"] for a in answers} == {"19578"}
            assert {(a.json()["source"], a.json()["stale"]) for a in answers} == {("live", False)}
            assert link.counters.fallback_ops.get("rates", 0) == before
            own_redis.resume()


def test_a_redis_that_comes_back_empty_gets_the_table_at_the_next_refresh(
    own_redis: RedisServer,
) -> None:
    clock = FakeClock()
    with feed_server() as feed:
        config = settings(
            redis=RedisSettings(own_redis.url),
            storage=Storage.REDIS,
            rates_urls=(feed.url,),
            rates_ttl=TTL,
        )
        container = bootstrap(config, {PasswordHasher: fast_hasher(), Clock: clock})
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            rates(client)
            assert redis_has_rates(own_redis)
            own_redis.restart()
            # Not asserted empty here: the link notices the restart (heartbeat, feed lost)
            # and its recovery may already have written the last table back.
            clock.advance(TTL + 1)
            assert rates(client)["stale"] is True
            assert eventually(lambda: rates(client)["stale"] is False)
            assert eventually(lambda: redis_has_rates(own_redis))
