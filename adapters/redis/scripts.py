"""A conditional-write script run over many records at once: the write-backs of the
replicated stores (revocations, clients) to a Redis that lost them."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio.cluster import RedisCluster

T = TypeVar("T")


def is_cluster(client: Any) -> bool:
    return isinstance(client, RedisCluster)


async def write_each(
    redis: Any, sharded: bool, write: Callable[[Any, T], Awaitable[Any]], records: list[T]
) -> list[T]:
    """Runs `write(target, record)` for every record, and answers the records whose script
    said it wrote (the news, to announce). On one server `target` is one pipeline for all
    of them (a pipeline registers the script before it runs); a cluster pipeline refuses
    scripts (EVALSHA), so there it is the client, one call each."""
    if sharded:
        wrote = [await write(redis, r) for r in records]
    else:
        async with redis.pipeline(transaction=False) as pipe:
            for r in records:
                await write(pipe, r)
            wrote = await pipe.execute()
    return [r for r, w in zip(records, wrote, strict=True) if w]
