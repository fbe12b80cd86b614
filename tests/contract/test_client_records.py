"""The client records the replicas share in Redis (`RedisClientRegistry`), on one server and
on a cluster: a record replaces another only when newer, a tombstone is a record like any
other, and only what was written is announced (the replicas' port: test_client_registry.py).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from adapters.redis import keys
from adapters.redis.clients import ClientRecord, RedisClientRegistry, decode_record, encode_record
from tests.contract.backends import Backend, backends
from tests.contract.client_data import client
from tests.support.waiting import until

pytestmark = pytest.mark.anyio

backend = backends("redis", "redis-cluster")


@pytest.fixture
def records(backend: Backend) -> RedisClientRegistry:
    return RedisClientRegistry(backend.client)


def record(client_id: str, version: float, name: str | None = "billing") -> ClientRecord:
    """A client named `name`, or a tombstone when `name` is None."""
    held = None if name is None else client(client_id, name=name)
    return ClientRecord(client_id, version, held)


@contextlib.asynccontextmanager
async def heard(records: RedisClientRegistry) -> AsyncIterator[list[ClientRecord]]:
    """The records announced while inside, in the order heard."""
    got: list[ClientRecord] = []
    subscribed = asyncio.Event()

    async def on_record(r: ClientRecord) -> None:
        got.append(r)

    listening = asyncio.create_task(records.listen(subscribed.set, on_record))
    try:
        assert await until(subscribed.is_set, within=5.0)
        yield got
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening


async def loaded(records: RedisClientRegistry) -> dict[str, ClientRecord]:
    return {r.client_id: r for r in await records.load()}


def test_a_record_round_trips_and_garbage_is_refused() -> None:
    for c in (client(audience="a", previous_hash="x"), None):
        r = ClientRecord("c1", 1234.5, c)
        assert decode_record(encode_record(r)) == r
    for garbage in ("", "1|", "1|{}", "x|[1]"):
        with pytest.raises(ValueError):
            decode_record(garbage)


async def test_a_newer_record_replaces_and_an_older_or_equal_one_does_not(
    records: RedisClientRegistry,
) -> None:
    await records.put(record("c1", 1.0, "first"))
    await records.put(record("c1", 2.0, "second"))
    await records.put(record("c1", 1.5, "older"))
    await records.put(record("c1", 2.0, "same version"))
    assert await loaded(records) == {"c1": record("c1", 2.0, "second")}


async def test_a_tombstone_replaces_an_older_client_and_keeps_it_from_coming_back(
    records: RedisClientRegistry,
) -> None:
    await records.put(record("c1", 1.0))
    await records.put(record("c1", 2.0, None))
    await records.put(record("c1", 1.5, "held by a stale instance"))
    assert await loaded(records) == {"c1": record("c1", 2.0, None)}


async def test_only_a_record_that_was_written_is_announced(
    records: RedisClientRegistry,
) -> None:
    async with heard(records) as got:
        await records.put(record("c1", 2.0))
        await records.put(record("c1", 1.0, "older"))
        await records.put(record("c2", 1.0))  # heard after anything announced before it
        assert await until(lambda: len(got) >= 2, within=2.0)
    assert got == [record("c1", 2.0), record("c2", 1.0)]


async def test_write_back_writes_and_announces_only_what_redis_lacks_or_holds_older(
    records: RedisClientRegistry,
) -> None:
    await records.put(record("held-newer", 5.0, "in redis"))
    await records.put(record("held-older", 1.0, "in redis"))
    back = [
        record("held-newer", 3.0, "stale"),
        record("held-older", 2.0, "newer"),
        record("missing", 1.0),
        record("deleted", 1.0, None),
    ]
    async with heard(records) as got:
        await records.write_back(back)
        await records.write_back([])  # nothing to write: nothing happens
        await records.put(record("last", 1.0))  # heard after the write-back's news
        assert await until(lambda: len(got) >= 4, within=2.0)
    assert got == [*back[1:], record("last", 1.0)]
    assert await loaded(records) == {
        "held-newer": record("held-newer", 5.0, "in redis"),
        **{r.client_id: r for r in back[1:]},
        "last": record("last", 1.0),
    }


async def test_forget_drops_the_named_records_only(
    records: RedisClientRegistry,
) -> None:
    for r in (record("a", 1.0), record("b", 1.0), record("c", 1.0, None)):
        await records.put(r)
    await records.forget([])
    await records.forget(["a", "c", "never-held"])
    assert await loaded(records) == {"b": record("b", 1.0)}


async def test_load_skips_what_this_version_did_not_write(
    records: RedisClientRegistry, backend: Backend
) -> None:
    await records.put(record("c1", 1.0))
    await backend.client.hset(keys.CLIENTS, "x", "not a record")
    assert await loaded(records) == {"c1": record("c1", 1.0)}
