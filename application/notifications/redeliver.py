"""Putting a failed notification back to pending, for a fresh round of delivery attempts."""

import attrs

from application.notifications.delivery import DeliveryWorker
from application.notifications.ownership import of_owner, owner_since
from domain.errors import NotFoundError
from domain.notifications import Notification
from domain.ports import Clock, NotificationStore, UserDirectory
from domain.tokens import TokenClaims
from domain.users import Role


@attrs.define
class RedeliverNotification:
    """An admin or the original sender retries a failed notification once its receiver is
    fixed; any other status is a conflict (nothing to redeliver, or already on its way)."""

    repository: NotificationStore
    users: UserDirectory
    worker: DeliveryWorker
    clock: Clock

    async def __call__(self, caller: TokenClaims, notification_id: str) -> Notification:
        found = await self.repository.get(notification_id)
        allowed = found is not None and (
            caller.has_role(Role.ADMIN)
            or (
                found.sender == caller.sub
                and of_owner(found, await owner_since(self.users, caller.sub))
            )
        )
        if found is None or not allowed:
            # Someone else's notification is as absent as a missing one.
            raise NotFoundError("notification", notification_id)
        pending = found.redelivered(self.clock.now())  # InvalidTransitionError unless failed
        await self.repository.update(pending)
        self.worker.enqueue(pending.id)
        return pending
