"""The client registry's contract, over the memory adapter and the replicated one (Redis
behind a failover, on one server and on a cluster); and between two replicas on one Redis:
changes reach the other at once, the newest wins, a deleted client never comes back.
The records the replicas share in Redis have their own contract: test_client_records.py."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.failover.clients import ReplicatedClientRegistry
from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.memory.clients import MemoryClientRegistry
from adapters.redis import keys
from adapters.redis.clients import RedisClientRegistry, decode_record
from adapters.system import SystemClock
from domain.errors import ConflictError
from domain.users import UserSource
from tests.contract.backends import Backend, backends
from tests.contract.client_data import client
from tests.redis_fixtures import started_link
from tests.redis_server import RedisServer
from tests.support.waiting import until

pytestmark = pytest.mark.anyio


def replicated(link: RedisLink) -> ReplicatedClientRegistry:
    return ReplicatedClientRegistry(
        RedisClientRegistry(link.client),
        MemoryClientRegistry(SystemClock()),
        Failover(link, "clients", journal=link.journal),
        link,
        SystemClock(),
    )


# The kinds that implement the port: the Redis adapter holds versioned records (its own
# contract: test_client_records.py), and the port over Redis is the replica.
backend = backends("memory", "failover", "failover-cluster")


@pytest.fixture
async def clients(backend: Backend) -> AsyncIterator[Any]:
    if backend.link is None:
        yield MemoryClientRegistry(SystemClock())
        return
    adapter = replicated(backend.link)
    await adapter.resync()
    yield adapter
    await adapter.stop()


async def test_a_client_added_is_read_back_whole(clients: Any) -> None:
    c = client(
        audience="orders",
        disabled=True,
        source=UserSource.FILE,
        previous_hash="hmac-sha256$p$q",
        previous_until=12.5,
        created_at=3.25,
    )
    await clients.add(c)
    assert await clients.get("c1") == c
    assert await clients.configured_ids() == {"c1"}


async def test_adding_a_taken_id_is_a_conflict(clients: Any) -> None:
    await clients.add(client())
    with pytest.raises(ConflictError):
        await clients.add(client(name="other"))


async def test_put_replaces_and_remove_forgets(clients: Any) -> None:
    await clients.add(client())
    await clients.put(client(name="renamed"))
    assert (await clients.get("c1")).name == "renamed"
    await clients.remove("c1")
    assert await clients.get("c1") is None
    await clients.remove("c1")  # nothing to remove: nothing happens


async def test_clients_are_paged_in_id_order(clients: Any) -> None:
    for i in (3, 1, 2, 5, 4):
        await clients.add(client(f"c{i}"))
    first = await clients.page(2, None)
    second = await clients.page(2, first.next_cursor)
    last = await clients.page(2, second.next_cursor)
    ids = [c.client_id for p in (first, second, last) for c in p.items]
    assert ids == ["c1", "c2", "c3", "c4", "c5"]
    assert last.next_cursor is None


async def test_a_change_reaches_another_replica_within_a_second(
    redis_server: RedisServer,
) -> None:
    async with started_link(redis_server.url) as a_link, started_link(redis_server.url) as b_link:
        await a_link.client.flushall()
        a, b = replicated(a_link), replicated(b_link)
        await a.resync()
        await b.resync()
        try:
            await a.add(client())
            seen = await until(lambda: _is(b, "c1", lambda c: c is not None), within=1.0)
            await a.put(client(disabled=True))
            disabled = await until(lambda: _is(b, "c1", lambda c: c and c.disabled), within=1.0)
            await a.remove("c1")
            gone = await until(lambda: _is(b, "c1", lambda c: c is None), within=1.0)
        finally:
            await a.stop()
            await b.stop()
    assert (seen, disabled, gone) == (True, True, True)


async def _is(registry: Any, client_id: str, test: Callable[[Any], Any]) -> bool:
    return bool(test(await registry.get(client_id)))


async def test_a_redis_restarted_empty_gets_the_registry_back_and_no_deleted_client(
    redis_server: RedisServer,
) -> None:
    async with started_link(redis_server.url) as a_link, started_link(redis_server.url) as b_link:
        await a_link.client.flushall()
        a, b = replicated(a_link), replicated(b_link)
        await a.resync()
        await b.resync()
        try:
            await a.add(client("kept"))
            await a.add(client("deleted"))
            assert await until(lambda: _is(b, "deleted", lambda c: c is not None), within=1.0)
            await a.remove("deleted")
            # b has not heard of the deletion (its feed is stopped) when Redis loses it all.
            await b.stop()
            await a_link.client.flushall()
            await b.resync()  # b writes back what it holds: "deleted" among it, older
            await a.resync()  # a writes back its tombstone, newer
            await b.resync()
            held = await a_link.client.hgetall(keys.CLIENTS)
            on_b = await b.get("deleted"), await b.get("kept")
        finally:
            await a.stop()
            await b.stop()
    records = {decode_record(v).client_id: decode_record(v) for v in held.values()}
    assert records["kept"].client is not None
    assert records["deleted"].client is None
    assert on_b[0] is None and on_b[1] is not None
