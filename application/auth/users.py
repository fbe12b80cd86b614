"""Creating users, by an admin or from configuration at start."""

import attrs

from application.auth.access import require_role
from application.auth.events import EventRecorder
from application.auth.sessions import EndSessions
from domain.errors import FieldError, ValidationError
from domain.events import AuthEventType
from domain.ports import Clock, PasswordHasher, UserDirectory
from domain.tokens import TokenClaims
from domain.users import (
    Role,
    User,
    UserSource,
    canonical_username,
    parse_roles,
    password_problem,
    username_problem,
)


@attrs.define
class CreateUser:
    """An admin adds a user; the password is stored only as a salted hash, the username in
    its canonical form. A username deleted earlier may be taken again: the old user's
    tokens stay dead (their cut-off)."""

    users: UserDirectory
    hasher: PasswordHasher
    events: EventRecorder
    clock: Clock

    async def __call__(
        self,
        caller: TokenClaims,
        username: object,
        password: object,
        roles: object,
        client: str = "unknown",
    ) -> User:
        require_role(caller, Role.ADMIN)
        errors = [
            FieldError(field, problem)
            for field, problem in (
                ("username", username_problem(username)),
                ("password", password_problem(password)),
            )
            if problem
        ]
        try:
            parsed_roles = parse_roles([] if roles is None else roles)
        except ValidationError as e:
            errors += e.errors
        if errors:
            raise ValidationError(errors)
        name = canonical_username(username)
        assert name is not None and isinstance(password, str)
        hashed = await self.hasher.hash(password, client)
        user = User(name, hashed, parsed_roles, created_at=self.clock.now())
        await self.users.add(user)  # ConflictError for any other spelling of a taken name
        await self.events.record(AuthEventType.USER_CREATED, name, client, actor=caller.sub)
        return user


@attrs.define
class SeedUsers:
    """Configuration (the bootstrap admin, the users file) is authoritative for the users
    it defines: they replace stored ones, and a user it defined before and no longer lists
    is removed, with every refresh family of that user ended and revoked.

    Run at start and again whenever a store may have lost them (a Redis restarted empty);
    the admin password is hashed once. Users created through the API are left alone.
    """

    users: UserDirectory
    hasher: PasswordHasher
    sessions: EndSessions
    _prepared: list[User] | None = attrs.field(init=False, default=None)

    async def __call__(self, admin_password: str | None, configured: list[User]) -> list[str]:
        """Seeds the users; answers the names of the users it removed."""
        if self._prepared is None:
            prepared = [attrs.evolve(u, source=UserSource.FILE) for u in configured]
            if admin_password is not None:
                admin_hash = await self.hasher.hash(admin_password, "configuration")
                admin = User("admin", admin_hash, frozenset({Role.ADMIN}), source=UserSource.FILE)
                prepared.insert(0, admin)
            self._prepared = prepared
        for user in self._prepared:
            await self.users.put(user)
        listed = {user.username for user in self._prepared}
        dropped = sorted(await self.users.configured_names() - listed)
        for name in dropped:
            await self.users.remove(name)
            await self.sessions(name)
        return dropped
