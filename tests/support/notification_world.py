"""The notification use cases wired by hand on the memory repository, a fake clock and a
spy channel that can be told to fail: no container, no I/O."""

import attrs

from adapters.memory.auth import MemoryUserDirectory
from adapters.memory.notifications import MemoryNotificationRepository
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from application.notifications.read import (
    GetNotification,
    ListNotifications,
    MarkNotificationRead,
)
from application.notifications.redeliver import RedeliverNotification
from application.notifications.send import SendNotification
from domain.errors import DeliveryError, FieldError
from domain.notifications import Channel, Notification
from domain.tokens import TokenClaims, TokenType
from domain.users import Role
from tests.fakes import FakeClock, SequentialIds

ALLOWED_HOST = "hooks.example.com"


def caller(username: str, *roles: Role) -> TokenClaims:
    return TokenClaims(
        sub=username,
        jti=f"jti-{username}",
        iat=0,
        exp=2**40,
        iss="ballast",
        type=TokenType.ACCESS,
        roles=frozenset(roles),
        fam=f"fam-{username}",
    )


ADMIN = caller("admin", Role.ADMIN)
SERVICE = caller("billing", Role.SERVICE)
ALICE = caller("alice")
BOB = caller("bob")


@attrs.define
class SpyChannels:
    """Records every delivery; fails the next `failures` attempts with `reason` (and the
    receiver's `retry_after`, if set)."""

    delivered: list[Notification] = attrs.Factory(list)
    attempts: int = 0
    failures: int = 0
    reason: str = "webhook answered 500"
    retry_after: float | None = None

    def refusal(self, channel: Channel, target: str | None) -> FieldError | None:
        if channel is Channel.WEBHOOK and target and ALLOWED_HOST not in target:
            return FieldError("target", "host is not allowed")
        return None

    async def deliver(self, notification: Notification) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError(self.reason, self.retry_after)
        self.delivered.append(notification)


@attrs.define
class NotificationWorld:
    clock: FakeClock
    repository: MemoryNotificationRepository
    channels: SpyChannels
    worker: DeliveryWorker
    send: SendNotification
    get: GetNotification
    list: ListNotifications
    mark: MarkNotificationRead
    redeliver: RedeliverNotification
    users: MemoryUserDirectory

    async def sent(self, to: str = "alice", subject: str = "hello", **extra: object) -> str:
        """Sends a log notification as the service user; returns its id."""
        result = await self.send(SERVICE, to, "log", subject, "body text", **extra)  # type: ignore[arg-type]
        return result.notification.id


def notification_world(policy: RetryPolicy | None = None) -> NotificationWorld:
    clock = FakeClock()
    repository = MemoryNotificationRepository(clock)
    users = MemoryUserDirectory(clock)
    channels = SpyChannels()
    # No jitter unless a test asks for it: a draw of 0 waits the whole backoff.
    worker = DeliveryWorker(repository, channels, clock, policy or RetryPolicy(), draw=lambda: 0.0)
    return NotificationWorld(
        clock=clock,
        repository=repository,
        channels=channels,
        worker=worker,
        send=SendNotification(repository, channels, worker, clock, SequentialIds("n"), users),
        get=GetNotification(repository, users),
        list=ListNotifications(repository, users),
        mark=MarkNotificationRead(repository, users, clock),
        redeliver=RedeliverNotification(repository, users, worker, clock),
        users=users,
    )
