"""The collections bench/scale.py pages through: `size` users, an inbox of `size`
notifications or an auth event log of `size` events, in a memory adapter or a Redis
adapter, written through the adapter itself."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.memory.auth import MemoryAuthEventLog, MemoryUserDirectory
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.redis import keys
from adapters.redis.auth import RedisUserDirectory
from adapters.redis.client import make_client
from adapters.redis.events import RedisAuthEventLog
from adapters.redis.notifications import RedisNotificationRepository
from adapters.system import SystemClock
from domain.events import AuthEvent, AuthEventType
from domain.notifications import Channel, Notification, NotificationStatus, PageCursor
from domain.users import User

Reader = Callable[[Any], Awaitable[object]]
BASE = time.time()


def _user(i: int) -> User:
    return User(f"u{i:07d}", "scrypt$h", frozenset(), created_at=BASE)


def _notification(i: int) -> Notification:
    at = BASE + i / 1000
    return Notification(
        f"n{i:07d}", "reader", "bench", Channel.LOG, "subject", "body", at, at,
        status=NotificationStatus.SENT,
    )  # fmt: skip


def _event(i: int) -> AuthEvent:
    return AuthEvent(f"e{i:07d}", AuthEventType.LOGIN_SUCCEEDED, f"u{i}", BASE + i, "10.0.0.7")


async def _in_batches(write: Callable[[int], Awaitable[None]], size: int) -> None:
    for start in range(0, size, 32):
        await asyncio.gather(*(write(i) for i in range(start, min(size, start + 32))))


async def pages_store(
    kind: str, size: int, redis_url: str | None, page: int
) -> tuple[Reader, Any, Any, Callable[[], Awaitable[None]]]:
    """(read one page after a cursor, the first page's cursor, the cursor of the page
    1,000 pages in or of the last page, close)."""
    clock = SystemClock()
    client: Any = make_client(redis_url, 5.0, 5.0) if redis_url else None
    deep = min(1000, size // page) - 1  # pages before the deep one
    if kind == "users":
        users: Any = RedisUserDirectory(client) if client else MemoryUserDirectory(clock, size)
        await _in_batches(lambda i: users.add(_user(i)), size)

        async def read_users(cursor: Any) -> object:
            return await users.page(page, cursor)

        reader: Reader = read_users
        deep_cursor: Any = f"u{deep * page - 1:07d}" if deep > 0 else None
    elif kind == "events":
        log: Any = RedisAuthEventLog(client, size) if client else MemoryAuthEventLog(size)
        for i in range(size):  # in order: the log's order is the order recorded
            await log.record(_event(i))

        async def read_events(cursor: Any) -> object:
            return await log.page(page, cursor)

        reader = read_events
        deep_cursor = None
        if deep > 0 and client is not None:  # the entry id the deep page starts below
            entries = await client.xrevrange(keys.EVENTS, count=deep * page)
            deep_cursor = entries[-1][0]
        elif deep > 0:
            deep_cursor = f"m{size - deep * page}"
    else:
        inbox: Any = (
            RedisNotificationRepository(client)
            if client
            else MemoryNotificationRepository(clock, size)
        )
        await _in_batches(lambda i: inbox.add(_notification(i)), size)

        async def read_inbox(cursor: Any) -> object:
            return await inbox.list_for_recipient("reader", None, page, cursor)

        reader = read_inbox
        last_seen = size - deep * page  # newest first: the index of the last one seen
        deep_cursor = _notification(last_seen).position if deep > 0 else None
        assert deep_cursor is None or isinstance(deep_cursor, PageCursor)

    async def close() -> None:
        if client is not None:
            await client.aclose()

    return reader, None, deep_cursor, close
