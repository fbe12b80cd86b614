"""Currency over HTTP with Redis: the shared cache as a source, and Redis killed (answers still
come, and `source` and `stale` tell the truth)."""

import asyncio
import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from adapters.fallback_rates import fallback_table
from entrypoints.settings import RedisSettings, Storage
from tests.fakes import FakeClock
from tests.feed_server import FeedServer, dead_url, ecb_document, feed_server
from tests.redis_fixtures import client_for
from tests.redis_server import RedisServer
from tests.support.currency_app import TTL, currency_app, rates
from tests.support.waiting import eventually

pytestmark = pytest.mark.redis


def on_redis(server: RedisServer, **changes: Any) -> dict[str, Any]:
    return {
        "redis": RedisSettings(server.url, connect_timeout=0.25, command_timeout=0.25),
        "storage": Storage.REDIS,
        **changes,
    }


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


def test_an_instance_whose_feed_is_down_serves_the_table_another_fetched(
    feed: FeedServer, empty_redis: RedisServer
) -> None:
    with currency_app(**on_redis(empty_redis, rates_urls=(feed.url,))) as first:
        live = rates(first, "GBP")
    with currency_app(**on_redis(empty_redis, rates_urls=(dead_url(),))) as second:
        cached = rates(second, "GBP")
    assert live["source"] == "live"
    assert cached["source"] == "cache"
    assert cached["stale"] is False
    assert cached["rates"] == live["rates"]
    assert cached["as_of"] == "2026-11-24"


def test_with_redis_killed_answers_still_come_and_tell_the_truth(
    feed: FeedServer, own_redis: RedisServer
) -> None:
    clock = FakeClock()
    with currency_app(clock, **on_redis(own_redis, rates_urls=(feed.url,))) as client:
        before = rates(client)
        assert before["source"] == "live"
        own_redis.kill()
        during = rates(client)
        assert (during["source"], during["stale"]) == ("live", False)
        assert during["rates"] == before["rates"]

        clock.advance(TTL + 1)  # stale: the refresh reads a dead cache, then the feed
        assert rates(client)["stale"] is True
        assert eventually(lambda: rates(client)["stale"] is False)
        assert rates(client)["source"] == "live"

        feed.status = 503  # now the feed fails too: the last good table stays
        clock.advance(TTL + 1)
        requests = feed.requests
        rates(client)
        assert eventually(lambda: feed.requests > requests)
        last = rates(client)
        assert (last["source"], last["stale"]) == ("live", True)
        assert last["rates"] == before["rates"]

        converted = client.get(
            "/api/currency/convert", params={"amount": "10.50", "from": "EUR", "to": "USD"}
        )
        assert converted.status_code == 200
        assert converted.json()["result"] == "11.10"  # 10.50 * 1.0573 = 11.101650


def test_an_instance_started_with_redis_and_the_feed_down_serves_the_built_in_table(
    own_redis: RedisServer,
) -> None:
    own_redis.kill()
    with currency_app(**on_redis(own_redis, rates_urls=(dead_url(),))) as client:
        body = rates(client, "USD")
    assert (body["source"], body["stale"]) == ("fallback", True)
    usd = fallback_table().rates["USD"]  # the built-in table's
    assert Decimal(body["rates"]["EUR"]) == (1 / usd).quantize(Decimal("1e-10"))


def test_instances_share_the_history_through_redis_and_keep_it_through_an_outage(
    feed: FeedServer, own_redis: RedisServer
) -> None:
    friday, sunday = "2026-11-20", "2026-11-22"
    feed.body = ecb_document({friday: {"USD": "1.0500"}, "2026-11-23": {"USD": "1.0600"}})
    clock = FakeClock(datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC).timestamp())

    def at_sunday(client: Any) -> dict[str, Any]:
        params = {"amount": "10", "from": "EUR", "to": "USD", "date": sunday}
        response = client.get("/api/currency/convert", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    with currency_app(clock, **on_redis(own_redis, rates_urls=(feed.url,))) as fetcher:
        assert at_sunday(fetcher)["result"] == "10.50"
    with currency_app(clock, **on_redis(own_redis, rates_urls=(dead_url(),))) as reader:
        shared = at_sunday(reader)
        own_redis.kill()
        during = at_sunday(reader)
    assert (shared["as_of"], shared["result"], shared["source"]) == (friday, "10.50", "cache")
    assert during == shared

    own_redis.restart()  # empty: the history comes back from the instance that holds it
    with currency_app(clock, **on_redis(own_redis, rates_urls=(feed.url,))) as fetcher:
        assert at_sunday(fetcher)["result"] == "10.50"
        own_redis.restart()
        assert eventually(lambda: redis_history_days(own_redis) >= 2)


def redis_history_days(server: RedisServer) -> int:
    async def count() -> int:
        client: Any = client_for(server.url, timeout=2.0)
        try:
            return int(await client.hlen("ballast:{rates}:history"))
        except OSError:
            return 0
        finally:
            await client.aclose()

    return asyncio.run(count())
