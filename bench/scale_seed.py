"""The collections bench/scale.py pages through: `size` users, an inbox of `size`
notifications, an auth event log of `size` events or a registry of `size` OAuth clients,
in a memory adapter or on Redis, written through the adapter itself."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.failover.clients import ReplicatedClientRegistry
from adapters.failover.core import Failover
from adapters.failover.journal import ReplayJournal
from adapters.failover.link import RedisLink
from adapters.memory.auth import MemoryAuthEventLog, MemoryUserDirectory
from adapters.memory.clients import MemoryClientRegistry
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.redis import keys
from adapters.redis.auth import RedisUserDirectory
from adapters.redis.client import make_client
from adapters.redis.clients import RedisClientRegistry
from adapters.redis.events import RedisAuthEventLog
from adapters.redis.notifications import RedisNotificationRepository
from adapters.system import SystemClock
from domain.clients import Client
from domain.events import AuthEvent, AuthEventType
from domain.notifications import Channel, Notification, NotificationStatus, PageCursor
from domain.users import User

Reader = Callable[[Any], Awaitable[object]]
Close = Callable[[], Awaitable[None]]
BASE = time.time()
KINDS = ("users", "inbox", "events", "clients")


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


def _client(i: int) -> Client:
    return Client(f"c{i:07d}", "bench", "hmac-sha256$k$d", frozenset(), created_at=BASE)


async def _in_batches(write: Callable[[int], Awaitable[None]], size: int) -> None:
    for start in range(0, size, 32):
        await asyncio.gather(*(write(i) for i in range(start, min(size, start + 32))))


async def _nothing() -> None:
    return None


async def _users(client: Any, size: int, page: int, deep: int) -> tuple[Reader, Any, Close]:
    users: Any = RedisUserDirectory(client) if client else MemoryUserDirectory(SystemClock(), size)
    await _in_batches(lambda i: users.add(_user(i)), size)

    async def read(cursor: Any) -> object:
        return await users.page(page, cursor)

    return read, f"u{deep * page - 1:07d}" if deep > 0 else None, _nothing


async def _events(client: Any, size: int, page: int, deep: int) -> tuple[Reader, Any, Close]:
    log: Any = RedisAuthEventLog(client, size) if client else MemoryAuthEventLog(size)
    for i in range(size):  # in order: the log's order is the order recorded
        await log.record(_event(i))

    async def read(cursor: Any) -> object:
        return await log.page(page, cursor)

    deep_cursor = None
    if deep > 0 and client is not None:  # the entry id the deep page starts below
        entries = await client.xrevrange(keys.EVENTS, count=deep * page)
        deep_cursor = entries[-1][0]
    elif deep > 0:
        deep_cursor = f"m{size - deep * page}"
    return read, deep_cursor, _nothing


async def _inbox(client: Any, size: int, page: int, deep: int) -> tuple[Reader, Any, Close]:
    inbox: Any = (
        RedisNotificationRepository(client)
        if client
        else MemoryNotificationRepository(SystemClock(), size)
    )
    await _in_batches(lambda i: inbox.add(_notification(i)), size)

    async def read(cursor: Any) -> object:
        return await inbox.list_for_recipient("reader", None, page, cursor)

    last_seen = size - deep * page  # newest first: the index of the last one seen
    deep_cursor = _notification(last_seen).position if deep > 0 else None
    assert deep_cursor is None or isinstance(deep_cursor, PageCursor)
    return read, deep_cursor, _nothing


async def _clients(client: Any, size: int, page: int, deep: int) -> tuple[Reader, Any, Close]:
    """In memory, or as served with Redis: the replica over the records in Redis."""
    clock = SystemClock()
    replica = MemoryClientRegistry(clock, size)
    registry: Any = replica
    close: Close = _nothing
    if client is not None:
        link = RedisLink(client, ReplayJournal(1000), command_timeout=5.0)
        await link.start()
        failover = Failover(link, "clients", journal=link.journal)
        registry = ReplicatedClientRegistry(
            RedisClientRegistry(client), replica, failover, link, clock
        )
        await registry.resync()

        async def close() -> None:
            await registry.stop()
            await link.stop()

    await _in_batches(lambda i: registry.add(_client(i)), size)

    async def read(cursor: Any) -> object:
        return await registry.page(page, cursor)

    return read, f"c{deep * page - 1:07d}" if deep > 0 else None, close


STORES = {"users": _users, "events": _events, "inbox": _inbox, "clients": _clients}


async def pages_store(
    kind: str, size: int, redis_url: str | None, page: int
) -> tuple[Reader, Any, Any, Close]:
    """(read one page after a cursor, the first page's cursor, the cursor of the page
    1,000 pages in or of the last page, close)."""
    client: Any = make_client(redis_url, 5.0, 5.0) if redis_url else None
    deep = min(1000, size // page) - 1  # pages before the deep one
    read, deep_cursor, close_store = await STORES[kind](client, size, page, deep)

    async def close() -> None:
        await close_store()
        if client is not None:
            await client.aclose()

    return read, None, deep_cursor, close
