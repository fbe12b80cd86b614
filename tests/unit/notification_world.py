"""The notification use cases wired by hand on the memory repository, a fake clock and a
spy channel that can be told to fail: no container, no I/O."""

import attrs

from adapters.memory.notifications import MemoryNotificationRepository
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from application.notifications.read import (
    GetNotification,
    ListNotifications,
    MarkNotificationRead,
)
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
    """Records every delivery; fails the next `failures` attempts with `reason`."""

    delivered: list[Notification] = attrs.Factory(list)
    attempts: int = 0
    failures: int = 0
    reason: str = "webhook answered 500"

    def refusal(self, channel: Channel, target: str | None) -> FieldError | None:
        if channel is Channel.WEBHOOK and target and ALLOWED_HOST not in target:
            return FieldError("target", "host is not allowed")
        return None

    async def deliver(self, notification: Notification) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError(self.reason)
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

    async def sent(self, to: str = "alice", subject: str = "hello", **extra: object) -> str:
        """Sends a log notification as the service user; returns its id."""
        result = await self.send(SERVICE, to, "log", subject, "body text", **extra)  # type: ignore[arg-type]
        return result.notification.id


def notification_world(policy: RetryPolicy | None = None) -> NotificationWorld:
    clock = FakeClock()
    repository = MemoryNotificationRepository(clock)
    channels = SpyChannels()
    worker = DeliveryWorker(repository, channels, clock, policy or RetryPolicy())
    return NotificationWorld(
        clock=clock,
        repository=repository,
        channels=channels,
        worker=worker,
        send=SendNotification(repository, channels, worker, clock, SequentialIds("n")),
        get=GetNotification(repository),
        list=ListNotifications(repository),
        mark=MarkNotificationRead(repository, clock),
    )
