"""The failover notification repository: Redis first, memory when Redis cannot answer.

Everything written through Redis is mirrored in memory, so a notification this instance
accepted or delivered stays readable during an outage. Writes made during an outage are
journaled; their replay writes the notification's latest state known here (delivery
included), so replaying an old entry never undoes a newer one. Writes Redis acknowledged
are repeated after a server change (the journal's recent window): the repeat writes the
latest state known here only where Redis lacks it or holds an older one. Delivery
leases are
disposable: during an outage they are taken in memory, which is enough for the one process
that holds the notifications accepted meanwhile.
"""

from adapters.failover.core import Failover
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.redis.notifications import RedisNotificationRepository
from domain.notifications import Notification, NotificationPage, NotificationStatus, PageCursor


class FailoverNotificationRepository:
    def __init__(
        self,
        redis: RedisNotificationRepository,
        memory: MemoryNotificationRepository,
        failover: Failover,
    ) -> None:
        self._redis, self._memory, self._failover = redis, memory, failover

    async def add(self, notification: Notification) -> None:
        await self._write(notification, "add_notification")

    async def update(self, notification: Notification) -> None:
        await self._write(notification, "update_notification")

    async def _write(self, notification: Notification, operation: str) -> None:
        async def primary() -> None:
            await self._redis.put(notification)
            await self._memory.update(notification)

        async def replay() -> None:
            latest = await self._memory.get(notification.id)
            await self._redis.put(latest if latest is not None else notification)

        async def repeat() -> None:
            latest = await self._memory.get(notification.id) or notification
            if not await self._redis.holds(latest):
                await self._redis.put(latest)

        await self._failover.write(
            primary, lambda: self._memory.update(notification), (operation, replay), repeat
        )

    async def get(self, notification_id: str) -> Notification | None:
        return await self._failover.read(
            lambda: self._redis.get(notification_id), lambda: self._memory.get(notification_id)
        )

    async def list_for_recipient(
        self,
        recipient: str,
        status: NotificationStatus | None,
        limit: int,
        after: PageCursor | None,
    ) -> NotificationPage:
        return await self._failover.read(
            lambda: self._redis.list_for_recipient(recipient, status, limit, after),
            lambda: self._memory.list_for_recipient(recipient, status, limit, after),
        )

    async def claim_idempotency_key(
        self, sender: str, key: str, notification_id: str, ttl: int
    ) -> str:
        async def primary() -> str:
            holder = await self._redis.claim_idempotency_key(sender, key, notification_id, ttl)
            # Mirrored: a repeat during a later outage still finds the first notification.
            await self._memory.claim_idempotency_key(sender, key, holder, ttl)
            return holder

        async def replay() -> None:
            await self._redis.claim_idempotency_key(sender, key, notification_id, ttl)

        return await self._failover.write(
            primary,
            lambda: self._memory.claim_idempotency_key(sender, key, notification_id, ttl),
            ("claim_idempotency_key", replay),
            replay,  # SET NX: never takes a key another notification holds
        )

    async def release_idempotency_key(self, sender: str, key: str, notification_id: str) -> None:
        """Journaled even under fail_closed: a send refused with 503 must not keep its key
        claimed once Redis returns."""
        await self._memory.release_idempotency_key(sender, key, notification_id)

        async def release() -> None:
            await self._redis.release_idempotency_key(sender, key, notification_id)

        # Repeatable: it deletes the key only while it still holds this notification.
        await self._failover.defer(release, ("release_idempotency_key", release), release)

    async def pending_before(self, before: float, limit: int) -> list[str]:
        return await self._failover.read(
            lambda: self._redis.pending_before(before, limit),
            lambda: self._memory.pending_before(before, limit),
        )

    async def claim_delivery(self, notification_id: str, owner: str, seconds: float) -> bool:
        return await self._failover.write(
            lambda: self._redis.claim_delivery(notification_id, owner, seconds),
            lambda: self._memory.claim_delivery(notification_id, owner, seconds),
        )

    async def release_delivery(self, notification_id: str, owner: str) -> None:
        await self._memory.release_delivery(notification_id, owner)
        await self._failover.write(
            lambda: self._redis.release_delivery(notification_id, owner),
            lambda: self._memory.release_delivery(notification_id, owner),
        )
