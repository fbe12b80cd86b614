"""What the notification contract suites share: the adapters under test (memory, Redis,
failover: one class per technology plays the store, idempotency-key and lease roles) and
notifications to store."""

from typing import Any

from adapters.failover.core import Failover
from adapters.failover.notifications import FailoverNotificationRepository
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.redis.notifications import RedisNotificationRepository
from adapters.system import SystemClock
from tests.contract.backends import Backend
from tests.support.notifications import NOW, notification

__all__ = ["NOW", "adapter_for", "notification", "page_ids"]


def adapter_for(backend: Backend) -> Any:
    # Redis expires keys on its own clock, so notifications are stamped with real time.
    clock = SystemClock()
    return backend.pick(
        memory=lambda: MemoryNotificationRepository(clock),
        redis=RedisNotificationRepository,
        failover=lambda link: FailoverNotificationRepository(
            RedisNotificationRepository(link.client),
            MemoryNotificationRepository(clock),
            Failover(link, "notifications", journal=link.journal),
        ),
    )


async def page_ids(repository: Any, recipient: str, limit: int, **kw: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = await repository.list_for_recipient(recipient, kw.get("status"), limit, after)
        pages.append([n.id for n in page.items])
        if page.next_cursor is None:
            return pages
        after = page.next_cursor
