"""The in-process rate limiter on real Redis servers: no round trip per decision, one script
call per sync (one per bucket of keys on a cluster), a limit shared by instances within the
bound of docs/RATE_LIMITS.md, and each instance's share while Redis is away."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from adapters.failover.link import RedisLink
from adapters.failover.rate_limits import SyncedRateLimiter
from adapters.redis import keys
from adapters.redis.rate_limits import MAX_CALL_KEYS
from domain.rate_limits import Quota
from tests.redis_fixtures import started_link
from tests.redis_server import RedisServer
from tests.redis_topologies import Cluster
from tests.support.rate_limits import bytes_per_client, synced_parts

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


@asynccontextmanager
async def two_instances(
    url: str,
) -> AsyncIterator[tuple[SyncedRateLimiter, SyncedRateLimiter, RedisLink, RedisLink, Any]]:
    """Two limiters on their own links, each knowing there are two instances."""
    async with started_link(url) as link_a, started_link(url) as link_b:
        a, count_a = synced_parts(link_a, "a")
        b, count_b = synced_parts(link_b, "b")
        for count in (count_a, count_b, count_a):
            await count.beat()
        yield a, b, link_a, link_b, count_a


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster(replicas=False).start()
    yield cluster
    cluster.stop()


def calls_in(stats: dict[str, Any]) -> int:
    """Scripts run: calls that did not fail (the first EVALSHA a server meets fails NOSCRIPT
    and is sent again once redis-py has loaded the script)."""
    total = 0
    for command in ("evalsha", "eval"):
        counts = stats.get(f"cmdstat_{command}", {})
        total += int(counts.get("calls", 0)) - int(counts.get("failed_calls", 0))
    return total


async def script_calls(client: Any) -> int:
    return calls_in(await client.info("commandstats"))


def cluster_script_calls(cluster: Cluster) -> int:
    """Script calls over every master (INFO commandstats of each)."""
    total = 0
    for node in cluster.masters():
        with node.client() as c:
            total += calls_in(c.info("commandstats"))
    return total


async def near_their_limit(limiter: SyncedRateLimiter, count: int, quota: Quota) -> list[str]:
    """`count` keys, each with half of the quota spent: every one of them is in the next sync."""
    names = [f"client{i}" for i in range(count)]
    for name in names:
        assert await allowed(limiter, name, quota, quota.count // 2) == quota.count // 2
    return names


async def allowed(limiter: SyncedRateLimiter, key: str, quota: Quota, tries: int) -> int:
    return sum([(await limiter.hit(key, quota)).allowed for _ in range(tries)])


async def test_a_lone_instance_is_exact_without_a_round_trip_per_request(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        limiter, _ = synced_parts(link, "alone")
        before = await script_calls(link.client)
        decisions = [await limiter.hit("client", Quota(3, 3600)) for _ in range(5)]
        assert [d.allowed for d in decisions] == [True] * 3 + [False] * 2
        assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
        assert await script_calls(link.client) == before
        await limiter.sync()
        # One script call for the one key touched; Redis now holds its three hits.
        assert await script_calls(link.client) == before + 1
        assert 3_590_000 < await link.client.pttl(keys.rate_limit("client")) <= 3_600_000


async def test_a_key_back_at_rest_costs_no_more_syncs(own_redis: RedisServer) -> None:
    """A view stays in memory a while past its arrival time (so that a client at a steady
    pace does not move its entry on every hit), but once at rest it has nothing to learn
    from the others: the syncs leave it out."""
    quota = Quota(2, 0.05)  # one request per 25 ms
    async with started_link(own_redis.url) as link:
        limiter, _ = synced_parts(link, "steady")
        assert await allowed(limiter, "calm", quota, 2) == 2
        before = await script_calls(link.client)
        await limiter.sync()
        assert await script_calls(link.client) == before + 1  # its two hits charged
        await asyncio.sleep(0.1)  # past its arrival time: at rest, still kept
        assert len(limiter) == 1
        await limiter.sync()
        await limiter.sync()
        assert await script_calls(link.client) == before + 1
        assert (await limiter.hit("calm", quota)).remaining == 1  # all of it back


async def test_two_instances_share_one_limit_within_the_bound(own_redis: RedisServer) -> None:
    quota = Quota(10, 3600)
    async with two_instances(own_redis.url) as (a, b, link_a, _, _):
        rounds = []
        for _ in range(4):
            rounds.append((await allowed(a, "k", quota, 20), await allowed(b, "k", quota, 20)))
            await a.sync()
            await b.sync()
        # Round 1: each its half of 10. Round 2: `a` saw only its own 5 at its sync, so it
        # spends its half of the 5 it believes left: L + N - 1 = 6 at most, here 3. Then
        # both see the shared count and refuse.
        assert rounds == [(5, 5), (3, 0), (0, 0), (0, 0)]
        # Every hit was charged: 13 intervals of 6 minutes ahead.
        assert 13 * 360_000 - 2_000 < await link_a.client.pttl(keys.rate_limit("k")) <= 13 * 360_000


async def test_a_key_new_to_a_lone_instance_gets_the_whole_limit(
    own_redis: RedisServer,
) -> None:
    async with started_link(own_redis.url) as link:
        limiter, count = synced_parts(link, "fresh")
        await count.beat()
        await link.client.set(keys.rate_limit("other"), "1")
        assert await allowed(limiter, "new", Quota(4, 3600), 6) == 4


async def test_an_outage_keeps_each_instance_to_its_share(own_redis: RedisServer) -> None:
    quota = Quota(10, 3600)
    async with two_instances(own_redis.url) as (a, b, link_a, link_b, count_a):
        # Half of each share spent: the keys are near their limit, so the syncs send them.
        assert (await allowed(a, "warm", quota, 3), await allowed(b, "warm", quota, 3)) == (3, 3)
        own_redis.kill()
        # The next sync finds Redis gone (the breaker of these links opens at once).
        await a.sync()
        await b.sync()
        assert not link_a.is_up and not link_b.is_up
        assert (await allowed(a, "k", quota, 20), await allowed(b, "k", quota, 20)) == (5, 5)
        assert link_a.counters.fallback_ops["rate_limits"] == 20
        # While Redis is away the last known count stays.
        await count_a.beat()
        assert count_a.instances == 2


async def test_hits_are_shared_again_once_redis_is_back(own_redis: RedisServer) -> None:
    async with started_link(own_redis.url) as link:
        limiter, _ = synced_parts(link, "back")
        quota = Quota(4, 3600)
        assert await allowed(limiter, "k", quota, 2) == 2  # half spent: the sync sends it
        own_redis.kill()
        await limiter.sync()
        assert not link.is_up
        assert await allowed(limiter, "k", quota, 1) == 1
        own_redis.start()
        for _ in range(500):
            if link.is_up:
                break
            await asyncio.sleep(0.02)
        assert link.is_up
        assert await allowed(limiter, "k", quota, 2) == 2
        await limiter.sync()
        # Counted in Redis, which came back empty: the outage's counter is not replayed.
        assert 1_790_000 < await link.client.pttl(keys.rate_limit("k")) <= 1_800_000


async def test_clients_far_from_their_limit_cost_no_sync(own_redis: RedisServer) -> None:
    """A new client is decided in memory alone; only a key that has spent half of this
    instance's share is sent, and then each of its hits."""
    quota = Quota(1000, 60)
    async with started_link(own_redis.url) as link:
        limiter, _ = synced_parts(link, "many")
        before = await script_calls(link.client)
        assert [await allowed(limiter, f"client{i}", quota, 1) for i in range(200)] == [1] * 200
        await limiter.sync()
        assert await script_calls(link.client) == before and len(limiter) == 200
        assert await allowed(limiter, "busy", quota, 500) == 500
        await limiter.sync()
        assert await script_calls(link.client) == before + 1
        # 500 hits of 60 ms each charged: 30 s ahead.
        assert 29_000 < await link.client.pttl(keys.rate_limit("busy")) <= 30_000


async def test_a_sync_of_many_keys_is_one_script_call(own_redis: RedisServer) -> None:
    """However many keys a sync carries (up to MAX_CALL_KEYS), one EVALSHA carries them."""
    quota = Quota(4, 3600)
    async with started_link(own_redis.url) as link:
        limiter, _ = synced_parts(link, "batch")
        names = await near_their_limit(limiter, 300, quota)
        before = await script_calls(link.client)
        await limiter.sync()
        assert await script_calls(link.client) == before + 1
        # Each key's two hits charged: two intervals of 15 minutes ahead.
        ttls = [await link.client.pttl(keys.rate_limit(name)) for name in names]
        assert all(1_790_000 < ttl <= 1_800_000 for ttl in ttls)
        # What Redis returned was adopted: each has its other two requests left, no more.
        assert await allowed(limiter, names[0], quota, 4) == 2


async def test_more_keys_than_one_call_carries_take_a_call_per_thousand(
    own_redis: RedisServer,
) -> None:
    """A script holds the server while it runs: a call carries at most MAX_CALL_KEYS keys."""
    async with started_link(own_redis.url) as link:
        limiter, _ = synced_parts(link, "large")
        names = await near_their_limit(limiter, 2 * MAX_CALL_KEYS + 1, Quota(2, 3600))
        before = await script_calls(link.client)
        await limiter.sync()
        assert await script_calls(link.client) == before + 3
        assert await link.client.exists(*(keys.rate_limit(name) for name in names)) == len(names)


async def test_on_a_cluster_a_sync_is_one_script_call_per_bucket(cluster: Cluster) -> None:
    """A script's keys share a slot on a cluster: the keys are grouped by their bucket (16
    hash tags), one call each, so 300 keys are 16 calls, not 300 (and no pipeline: redis-py
    refuses scripts in a cluster pipeline)."""
    quota = Quota(4, 3600)
    async with started_link(cluster.url, command_timeout=2.0) as link:
        await link.client.flushall()
        limiter, _ = synced_parts(link, "sharded")
        names = await near_their_limit(limiter, 300, quota)
        before = cluster_script_calls(cluster)
        await limiter.sync()
        assert cluster_script_calls(cluster) - before == keys.RATE_LIMIT_BUCKETS
        assert link.is_up
        ttls = [await link.client.pttl(keys.rate_limit(name)) for name in names]
        assert all(1_790_000 < ttl <= 1_800_000 for ttl in ttls)
        assert await allowed(limiter, names[-1], quota, 4) == 2


async def test_on_a_cluster_two_instances_share_one_limit_within_the_bound(
    cluster: Cluster,
) -> None:
    quota = Quota(10, 3600)
    async with started_link(cluster.url, command_timeout=2.0) as link:
        await link.client.flushall()
    async with two_instances(cluster.url) as (a, b, _, _, _):
        rounds = []
        for _ in range(3):
            rounds.append((await allowed(a, "k", quota, 20), await allowed(b, "k", quota, 20)))
            await a.sync()
            await b.sync()
        assert rounds == [(5, 5), (3, 0), (0, 0)]


async def test_a_client_costs_the_limiter_one_small_view(redis_server: RedisServer) -> None:
    """What docs/OPERATIONS.md states per client: at 100,000 clients keyed by address, each
    is its key, one entry of the map and one view, about 360 bytes (420 when a view had an
    object of its own for each of its numbers), and nothing is dropped below the bound."""
    async with started_link(redis_server.url) as link:
        assert await bytes_per_client(link, 100_000) < 380
