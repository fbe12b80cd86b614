"""The user lifecycle after creation: list, read, change, delete; a user's own password
change and logout everywhere.

Users defined by configuration (BALLAST_USERS_FILE, the bootstrap admin) are not changed
through the API: the file is authoritative, so such a change is a conflict (409). Every
change that takes power away ends every session of the user at once, with one per-user
cut-off (EndSessions), and is an auth event naming the acting user.
"""

import attrs

from application.auth.access import require_role
from application.auth.events import EventRecorder
from application.auth.sessions import EndSessions
from domain.errors import (
    ConfiguredUserError,
    InvalidTokenError,
    NotFoundError,
    ValidationError,
)
from domain.events import AuthEventType
from domain.ports import PasswordHasher, UserDirectory
from domain.tokens import TokenClaims
from domain.users import (
    USERNAME_PATTERN,
    Role,
    User,
    UserPage,
    UserSource,
    canonical_username,
    parse_roles,
    password_problem,
)

MAX_USERS_PAGE = 1000


async def _stored(users: UserDirectory, username: str) -> User | None:
    """The user under any spelling of its name, or None also for a name no user can have
    (never asked of the store)."""
    name = canonical_username(username)
    return None if name is None else await users.get(name)


def _changeable(user: User | None, username: str) -> User:
    if user is None:
        raise NotFoundError("user", username)
    if user.source is UserSource.FILE:
        raise ConfiguredUserError(username)
    return user


@attrs.define
class ListUsers:
    """Admins page through every user by username."""

    users: UserDirectory

    async def __call__(self, caller: TokenClaims, limit: int, cursor: str | None) -> UserPage:
        require_role(caller, Role.ADMIN)
        if not 1 <= limit <= MAX_USERS_PAGE:
            raise ValidationError.single("limit", f"must be between 1 and {MAX_USERS_PAGE}")
        if cursor is not None and not USERNAME_PATTERN.fullmatch(cursor):
            raise ValidationError.single("cursor", "is not a cursor from a previous page")
        return await self.users.page(limit, cursor)


@attrs.define
class GetUser:
    """Admins read any user, anyone else only themselves (others are 404 to them)."""

    users: UserDirectory

    async def __call__(self, caller: TokenClaims, username: str) -> User:
        if caller.sub != canonical_username(username):
            require_role(caller, Role.ADMIN)
        user = await _stored(self.users, username)
        if user is None:
            raise NotFoundError("user", username)
        return user


@attrs.define
class UpdateUser:
    """An admin changes roles or disables; taking power away ends every session at once."""

    users: UserDirectory
    sessions: EndSessions
    events: EventRecorder

    async def __call__(
        self, caller: TokenClaims, username: str, changes: dict[str, object], client: str
    ) -> User:
        require_role(caller, Role.ADMIN)
        unknown = sorted(set(changes) - {"roles", "disabled"})
        if unknown:
            raise ValidationError.single(unknown[0], "is not a field of a user that can change")
        roles = parse_roles(changes["roles"]) if "roles" in changes else None
        disabled = changes.get("disabled")
        if disabled is not None and not isinstance(disabled, bool):
            raise ValidationError.single("disabled", "must be true or false")
        user = _changeable(await _stored(self.users, username), username)
        updated = attrs.evolve(
            user,
            roles=user.roles if roles is None else roles,
            disabled=user.disabled if disabled is None else disabled,
        )
        if updated == user:
            return user  # nothing to change, nothing to record
        await self.users.put(updated)
        if (updated.disabled and not user.disabled) or (user.roles - updated.roles):
            await self.sessions(user.username)
        kind = (
            AuthEventType.USER_DISABLED
            if updated.disabled and not user.disabled
            else AuthEventType.USER_UPDATED
        )
        await self.events.record(kind, user.username, client, actor=caller.sub)
        return updated


@attrs.define
class DeleteUser:
    """An admin deletes a user: every token of theirs is refused from then on, also if the
    username is created again later (the cut-off predates the new user's tokens)."""

    users: UserDirectory
    sessions: EndSessions
    events: EventRecorder

    async def __call__(self, caller: TokenClaims, username: str, client: str) -> None:
        require_role(caller, Role.ADMIN)
        name = _changeable(await _stored(self.users, username), username).username
        await self.users.remove(name)
        await self.sessions(name)
        await self.events.record(AuthEventType.USER_DELETED, name, client, actor=caller.sub)


@attrs.define
class ChangePassword:
    """A user changes their own password; every other session ends (the caller's access
    token keeps working until it expires, and nothing else of theirs). A wrong current
    password is an auth event, as a failed login is (and throttled as one: the limiter)."""

    users: UserDirectory
    hasher: PasswordHasher
    sessions: EndSessions
    events: EventRecorder

    async def __call__(self, caller: TokenClaims, current: str, new: str, client: str) -> None:
        problem = password_problem(new)
        if problem:
            raise ValidationError.single("new_password", problem)
        user = await self.users.get(caller.sub)
        if user is None:
            raise InvalidTokenError("the token's user no longer exists")
        _changeable(user, caller.sub)
        if not await self.hasher.verify(current, user.password_hash, client):
            await self.events.record(AuthEventType.PASSWORD_CHECK_FAILED, caller.sub, client)
            raise ValidationError.single("current_password", "is not the current password")
        hashed = await self.hasher.hash(new, client)
        await self.users.put(attrs.evolve(user, password_hash=hashed))
        await self.sessions(caller.sub, spared=caller.jti)
        await self.events.record(
            AuthEventType.PASSWORD_CHANGED, caller.sub, client, actor=caller.sub
        )


@attrs.define
class LogoutAll:
    """A user ends every session of theirs, on every device, this one included."""

    sessions: EndSessions
    events: EventRecorder

    async def __call__(self, caller: TokenClaims, client: str) -> None:
        await self.sessions(caller.sub)
        await self.events.record(AuthEventType.LOGOUT_ALL, caller.sub, client, actor=caller.sub)
