"""Whose notification is it: a username deleted and created again is a new user, who does
not inherit what was addressed to or sent by the former one.

The stores keep notifications by username, as before; what belongs to a user is what was
created since the user was (`User.created_at`). Nothing has to be deleted with a user, so
the memory, Redis and failover stores (and a journal replayed after an outage) need no
step of their own, and the rule holds whichever store answers.
"""

from domain.notifications import Notification
from domain.ports import UserDirectory


async def owner_since(users: UserDirectory, name: str) -> float:
    """When the user holding `name` was created (epoch s). 0 for users from configuration
    (theirs since always) and for a name no user holds, such as an OAuth client's id."""
    user = await users.get(name)
    return 0.0 if user is None else user.created_at


def of_owner(notification: Notification, since: float) -> bool:
    """Created in the time of the current holder of the name (since it was created)."""
    return notification.created_at >= since
