"""A Redis pub/sub channel of line-encoded records (revocations, clients): one way to
announce them and one subscription loop for every replica fed by Redis."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from redis.exceptions import RedisError

T = TypeVar("T")


async def publish(redis: Any, channel: str, sharded: bool, lines: Iterable[str]) -> None:
    """One message, one record a line. Never in a pipeline: a cluster client refuses
    PUBLISH there."""
    payload = "\n".join(lines)
    if sharded:  # a Cluster: the channel lives on the node of its slot
        await redis.spublish(channel, payload)
    else:
        await redis.publish(channel, payload)


async def listen(
    redis: Any,
    channel: str,
    sharded: bool,
    decode: Callable[[str], T],
    on_subscribed: Callable[[], None],
    on_record: Callable[[T], Awaitable[None]],
) -> None:
    """Passes on every record announced on `channel` (a message may hold several, one a
    line; a line `decode` refuses with ValueError is skipped), until the subscription fails:
    the redis error is raised, since what was announced meanwhile is unknown."""
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    try:
        if sharded:  # a Cluster: the channel lives on the node of its slot
            await pubsub.ssubscribe(channel)
        else:
            await pubsub.subscribe(channel)
        on_subscribed()
        while True:
            if sharded:
                message = await pubsub.get_sharded_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            else:
                message = await pubsub.get_message(timeout=1.0)
            if message is None or message["type"] not in ("message", "smessage"):
                continue
            for line in str(message["data"]).split("\n"):
                try:
                    record = decode(line)
                except ValueError:
                    continue
                await on_record(record)
    finally:
        # Bounded: a subscription to a node that died must not hold up a shutdown.
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            async with asyncio.timeout(1.0):
                await pubsub.aclose()
