"""The Redis notification repository: a hash per notification and a sorted set per
recipient under the recipient's hash tag, plus an id -> recipient index; all expire with
the notification's retention. Plain: it raises redis errors, failover decides."""

import json
from typing import Any

from adapters.redis import keys
from adapters.skipped_records import SkippedRecords
from domain.json_values import renderable
from domain.notifications import (
    RETENTION,
    Channel,
    Notification,
    NotificationPage,
    NotificationStatus,
    PageCursor,
    page_of,
)


def _fields(n: Notification) -> dict[str, str]:
    return {
        "id": n.id,
        "recipient": n.recipient,
        "sender": n.sender,
        "channel": n.channel.value,
        "subject": n.subject,
        "body": n.body,
        "target": n.target or "",
        "metadata": json.dumps(n.metadata),
        "status": n.status.value,
        "attempts": str(n.attempts),
        "created_at": repr(n.created_at),
        "updated_at": repr(n.updated_at),
        "error": n.error or "",
        "due_at": "" if n.due_at is None else repr(n.due_at),
        "pending_since": "" if n.pending_since is None else repr(n.pending_since),
    }


def _optional_time(fields: dict[str, str], name: str) -> float | None:
    # Absent from notifications stored before the field existed.
    raw = fields.get(name)
    return float(raw) if raw else None


def _notification(fields: dict[str, str]) -> Notification:
    return Notification(
        id=fields["id"],
        recipient=fields["recipient"],
        sender=fields["sender"],
        channel=Channel(fields["channel"]),
        subject=fields["subject"],
        body=fields["body"],
        target=fields["target"] or None,
        metadata=json.loads(fields["metadata"]),
        status=NotificationStatus(fields["status"]),
        attempts=int(fields["attempts"]),
        created_at=float(fields["created_at"]),
        updated_at=float(fields["updated_at"]),
        error=fields["error"] or None,
        due_at=_optional_time(fields, "due_at"),
        pending_since=_optional_time(fields, "pending_since"),
    )


# Deletes KEYS[1] only while it still holds ARGV[1]: nobody frees what another holds.
_DELETE_IF_HELD = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


# Takes KEYS[1] for ARGV[1] for ARGV[2] ms when free, or extends it when ARGV[1] holds it:
# the holder renews its lease while its attempt runs.
_CLAIM_OR_RENEW = """
local holder = redis.call('get', KEYS[1])
if not holder then return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) and 1 end
if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class RedisNotificationRepository:
    """Adding and updating are the same idempotent write of the whole state, so a replay
    after an outage can run any number of times."""

    def __init__(self, client: Any, retention: int = RETENTION, batch: int = 100) -> None:
        self._redis = client
        self._retention = retention
        self._batch = batch
        self._skipped = SkippedRecords("notification")

    async def add(self, notification: Notification) -> None:
        await self.put(notification)

    async def update(self, notification: Notification) -> None:
        await self.put(notification)

    async def put(self, n: Notification) -> None:
        expires_at = int(n.created_at + self._retention) + 1
        hash_key, inbox = keys.notification(n.recipient, n.id), keys.inbox(n.recipient)
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(keys.notification_recipient(n.id), n.recipient, exat=expires_at)
        pipe.hset(hash_key, mapping=_fields(n))
        pipe.expireat(hash_key, expires_at)
        pipe.zadd(inbox, {n.id: n.created_at})
        pipe.zremrangebyscore(inbox, "-inf", f"({n.created_at - self._retention!r}")
        pipe.expireat(inbox, expires_at, gt=True)
        pipe.expireat(inbox, expires_at, nx=True)
        if n.status is NotificationStatus.PENDING:
            pipe.zadd(keys.PENDING, {n.id: n.next_due})
        else:
            pipe.zrem(keys.PENDING, n.id)
        await pipe.execute()

    async def holds(self, n: Notification) -> bool:
        """True when Redis has `n` at its state or a newer one, in its recipient's inbox."""
        stored = await self.get(n.id)
        if stored is None or stored.updated_at < n.updated_at:
            return False
        return await self._redis.zscore(keys.inbox(n.recipient), n.id) is not None

    async def get(self, notification_id: str) -> Notification | None:
        recipient = await self._redis.get(keys.notification_recipient(notification_id))
        if recipient is None:
            return None
        fields = await self._redis.hgetall(keys.notification(recipient, notification_id))
        return self._readable(fields) if fields else None

    async def list_for_recipient(
        self,
        recipient: str,
        status: NotificationStatus | None,
        limit: int,
        after: PageCursor | None,
    ) -> NotificationPage:
        inbox = keys.inbox(recipient)
        top = "+inf" if after is None else repr(after.created_at)
        found: list[Notification] = []
        offset = 0
        # The page, its look-ahead and the cursor's own entry: a page is mostly one read of
        # as many hashes as it shows. Further reads (a status filter) double, `batch` at least.
        size = limit + 2
        while len(found) <= limit:
            # Newest first; equal times come in descending id order, as cursors expect.
            entries = await self._redis.zrevrangebyscore(
                inbox, top, "-inf", start=offset, num=size, withscores=True
            )
            if not entries:
                break
            if after is None and offset == 0:
                top = repr(entries[0][1])  # later arrivals must not shift the offsets
            offset += len(entries)
            ids = [
                member
                for member, score in entries
                if after is None or PageCursor(score, member) < after
            ]
            pipe = self._redis.pipeline(transaction=False)
            for notification_id in ids:
                pipe.hgetall(keys.notification(recipient, notification_id))
            for fields in await pipe.execute() if ids else []:
                wanted = fields and (status is None or fields["status"] == status.value)
                if wanted and (notification := self._readable(fields)) is not None:
                    found.append(notification)
            if len(entries) < size:
                break
            size = max(2 * size, self._batch)
        return page_of(found[: limit + 1], limit)

    def _readable(self, fields: dict[str, str]) -> Notification | None:
        """The stored notification, or None (logged once) if it cannot be read or shown."""
        try:
            notification = _notification(fields)
        except (KeyError, ValueError, RecursionError) as e:
            self._skipped.skip(fields.get("id", "?"), type(e).__name__)
            return None
        if not renderable(notification.public()):
            self._skipped.skip(notification.id, "not_renderable")
            return None
        return notification

    async def claim_idempotency_key(
        self, sender: str, key: str, notification_id: str, ttl: int
    ) -> str:
        name = keys.idempotency_key(sender, key)
        for _ in range(3):
            if await self._redis.set(name, notification_id, nx=True, ex=ttl):
                return notification_id
            holder: str | None = await self._redis.get(name)
            if holder is not None:
                return holder
        return notification_id  # the holder expired between our two calls, three times over

    async def release_idempotency_key(self, sender: str, key: str, notification_id: str) -> None:
        if await self._redis.exists(keys.notification_recipient(notification_id)):
            return  # stored after all (a write that timed out yet landed): the key stays
        await self._redis.eval(
            _DELETE_IF_HELD, 1, keys.idempotency_key(sender, key), notification_id
        )

    async def pending_before(self, before: float, limit: int) -> list[str]:
        pipe = self._redis.pipeline(transaction=False)
        # Ids older than the retention belong to notifications that expired while pending.
        pipe.zremrangebyscore(keys.PENDING, "-inf", f"({before - self._retention!r}")
        pipe.zrangebyscore(keys.PENDING, "-inf", repr(before), start=0, num=limit)
        _, ids = await pipe.execute()
        return list(ids)

    async def claim_delivery(self, notification_id: str, owner: str, seconds: float) -> bool:
        name, milliseconds = keys.delivery_lease(notification_id), max(int(seconds * 1000), 1)
        return bool(await self._redis.eval(_CLAIM_OR_RENEW, 1, name, owner, milliseconds))

    async def release_delivery(self, notification_id: str, owner: str) -> None:
        await self._redis.eval(_DELETE_IF_HELD, 1, keys.delivery_lease(notification_id), owner)
