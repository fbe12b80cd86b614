"""Reading notifications: one, a page of the caller's own, and marking one read."""

import attrs

from application.notifications.ownership import of_owner, owner_since
from domain.errors import FieldError, NotFoundError, ValidationError
from domain.notifications import Notification, NotificationPage, NotificationStatus, PageCursor
from domain.ports import Clock, NotificationStore, UserDirectory
from domain.tokens import TokenClaims
from domain.users import Role

MAX_PAGE = 100


async def visible(
    repository: NotificationStore, users: UserDirectory, caller: TokenClaims, notification_id: str
) -> Notification:
    """The notification if the caller may see it; someone else's (a former holder of the
    caller's username's included) is as absent as a missing one."""
    found = await repository.get(notification_id)
    if found is not None and caller.has_role(Role.ADMIN):
        return found
    if (
        found is None
        or found.recipient != caller.sub
        or not of_owner(found, await owner_since(users, caller.sub))
    ):
        raise NotFoundError("notification", notification_id)
    return found


@attrs.define
class GetNotification:
    """The recipient or an admin reads one notification."""

    repository: NotificationStore
    users: UserDirectory

    async def __call__(self, caller: TokenClaims, notification_id: str) -> Notification:
        return await visible(self.repository, self.users, caller, notification_id)


@attrs.define
class ListNotifications:
    """The caller's own notifications, newest first, a page at a time: those addressed to
    the username since its user was created (the list ends where a former user's begin)."""

    repository: NotificationStore
    users: UserDirectory

    async def __call__(
        self,
        caller: TokenClaims,
        status: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> NotificationPage:
        errors: list[FieldError] = []
        wanted = None
        if status:
            try:
                wanted = NotificationStatus(status)
            except ValueError:
                allowed = ", ".join(s.value for s in NotificationStatus)
                errors.append(FieldError("status", f"must be one of: {allowed}"))
        if not 1 <= limit <= MAX_PAGE:
            errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}"))
        if errors:
            raise ValidationError(errors)
        after = PageCursor.decode(cursor) if cursor else None
        page = await self.repository.list_for_recipient(caller.sub, wanted, limit, after)
        since = await owner_since(self.users, caller.sub)
        mine = tuple(n for n in page.items if of_owner(n, since))
        # Newest first: once one is a former user's, so is everything after it.
        return page if len(mine) == len(page.items) else NotificationPage(mine, None)


@attrs.define
class MarkNotificationRead:
    """The recipient (or an admin) marks a sent notification read; doing it twice is harmless."""

    repository: NotificationStore
    users: UserDirectory
    clock: Clock

    async def __call__(
        self, caller: TokenClaims, notification_id: str, status: object
    ) -> Notification:
        if status != NotificationStatus.READ.value:
            raise ValidationError.single("status", "must be 'read'")
        found = await visible(self.repository, self.users, caller, notification_id)
        if found.status is NotificationStatus.READ:
            return found
        # A notification not yet sent cannot be read: InvalidTransitionError, a 409.
        read = found.moved_to(NotificationStatus.READ, self.clock.now())
        await self.repository.update(read)
        return read
