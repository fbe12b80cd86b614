"""The memory notification repository: bounded, each notification kept for its retention."""

import bisect

from adapters.memory.ttl_map import TtlMap
from adapters.skipped_records import SkippedRecords
from domain.json_values import renderable
from domain.notifications import (
    RETENTION,
    Notification,
    NotificationPage,
    NotificationStatus,
    PageCursor,
    page_of,
)
from domain.ports import Clock


class MemoryNotificationRepository:
    """Notifications by id plus an index by recipient; the oldest go first when full
    (counted in `dropped`), and the index forgets them when next read or rebuilt."""

    def __init__(
        self, clock: Clock, max_notifications: int = 100_000, retention: int = RETENTION
    ) -> None:
        self._clock = clock
        self._retention = retention
        self._items: TtlMap[Notification] = TtlMap(clock, max_notifications)
        self._keys: TtlMap[str] = TtlMap(clock, max_notifications)
        self._leases: TtlMap[str] = TtlMap(clock, max_notifications)
        # Pending ids by last update; an id whose notification was evicted goes at the next read.
        self._pending: dict[str, float] = {}
        # Each recipient's (created_at, id), oldest first: a page is a bisect and a walk.
        self._inbox: dict[str, list[tuple[float, str]]] = {}
        self._indexed_since_rebuild = 0
        self._skipped = SkippedRecords("notification")

    async def add(self, notification: Notification) -> None:
        await self.update(notification)

    async def get(self, notification_id: str) -> Notification | None:
        found = self._items.get(notification_id)
        if found is not None and not renderable(found.public()):
            # Defence in depth, as in pages: absent (logged once), never a failed read.
            self._skipped.skip(found.id, "not_renderable")
            return None
        return found

    async def update(self, notification: Notification) -> None:
        expires_at = notification.created_at + self._retention
        self._items.set_until(notification.id, notification, expires_at)
        if notification.status is NotificationStatus.PENDING:
            self._pending[notification.id] = notification.next_due
        else:
            self._pending.pop(notification.id, None)
        inbox = self._inbox.setdefault(notification.recipient, [])
        position = (notification.created_at, notification.id)
        i = bisect.bisect_left(inbox, position)
        if i == len(inbox) or inbox[i] != position:
            inbox.insert(i, position)
            self._indexed_since_rebuild += 1
            if self._indexed_since_rebuild > 2 * self._max:
                self._rebuild_index()

    async def list_for_recipient(
        self,
        recipient: str,
        status: NotificationStatus | None,
        limit: int,
        after: PageCursor | None,
    ) -> NotificationPage:
        inbox = self._inbox.get(recipient, [])
        end = (
            len(inbox) if after is None else bisect.bisect_left(inbox, (after.created_at, after.id))
        )
        shown: list[Notification] = []
        gone: list[int] = []
        for i in range(end - 1, -1, -1):
            if len(shown) > limit:
                break
            found = self._items.get(inbox[i][1])
            if found is None:
                gone.append(i)  # evicted or past its retention
            elif status is not None and found.status is not status:
                continue
            elif renderable(found.public()):
                shown.append(found)
            else:
                self._skipped.skip(found.id, "not_renderable")
        for i in gone:  # descending: each deletion leaves the next index in place
            del inbox[i]
        return page_of(shown, limit)

    async def claim_idempotency_key(
        self, sender: str, key: str, notification_id: str, ttl: int
    ) -> str:
        name = f"{sender}\x00{key}"
        holder = self._keys.get(name)
        if holder is not None:
            return holder
        self._keys.set(name, notification_id, ttl)
        return notification_id

    async def release_idempotency_key(self, sender: str, key: str, notification_id: str) -> None:
        name = f"{sender}\x00{key}"
        if self._keys.get(name) == notification_id and self._items.get(notification_id) is None:
            self._keys.pop(name)

    async def pending_before(self, before: float, limit: int) -> list[str]:
        due: list[tuple[float, str]] = []
        for notification_id, due_at in list(self._pending.items()):
            found = self._items.get(notification_id)
            if found is None or found.status is not NotificationStatus.PENDING:
                del self._pending[notification_id]
            elif due_at <= before:
                due.append((due_at, notification_id))
        return [notification_id for _, notification_id in sorted(due)[:limit]]

    async def claim_delivery(self, notification_id: str, owner: str, seconds: float) -> bool:
        holder = self._leases.get(notification_id)
        if holder is not None and holder != owner:
            return False
        self._leases.set(notification_id, owner, seconds)
        return True

    async def release_delivery(self, notification_id: str, owner: str) -> None:
        if self._leases.get(notification_id) == owner:
            self._leases.pop(notification_id)

    @property
    def _max(self) -> int:
        return max(len(self._items), 1)

    def _rebuild_index(self) -> None:
        """Drops ids of evicted notifications from the index, so it stays as bounded as they."""
        self._inbox = {}
        for notification_id, notification, _ in self._items.live_items():
            inbox = self._inbox.setdefault(notification.recipient, [])
            inbox.append((notification.created_at, notification_id))
        for inbox in self._inbox.values():
            inbox.sort()
        self._indexed_since_rebuild = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def dropped(self) -> int:
        return self._items.dropped
