"""A send refused because the store is down (503) frees its Idempotency-Key: the client's
retry with the same key is accepted, not a 409 for 24 hours."""

import pytest

from adapters.memory.notifications import MemoryNotificationRepository
from application.notifications.send import SendNotification
from domain.errors import DependencyUnavailableError
from domain.notifications import Notification
from tests.support.notification_world import SERVICE, notification_world

pytestmark = pytest.mark.anyio


class FlakyRepository(MemoryNotificationRepository):
    """Refuses the next `outages` adds, as a fail_closed store during a Redis outage does."""

    outages = 1

    async def add(self, notification: Notification) -> None:
        if self.outages > 0:
            self.outages -= 1
            raise DependencyUnavailableError("redis (notifications)", 5)
        await super().add(notification)


async def test_a_send_that_could_not_be_stored_frees_its_key_for_the_retry() -> None:
    world = notification_world()
    repository = FlakyRepository(world.clock)
    send = SendNotification(
        repository, world.channels, world.worker, world.clock, world.send.ids, world.users
    )

    async def send_with_key() -> object:
        return await send(SERVICE, "alice", "log", "Hi", "text", idempotency_key="k1")

    with pytest.raises(DependencyUnavailableError):
        await send_with_key()
    assert len(repository) == 0

    retried = await send_with_key()
    repeated = await send_with_key()

    assert retried.created  # type: ignore[attr-defined]
    assert not repeated.created  # type: ignore[attr-defined]
    assert repeated.notification == retried.notification  # type: ignore[attr-defined]
    assert len(repository) == 1
