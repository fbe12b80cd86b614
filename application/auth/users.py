"""Creating users, by an admin or from configuration at start."""

import attrs

from application.auth.access import require_role
from domain.errors import FieldError, ValidationError
from domain.ports import PasswordHasher, UserDirectory
from domain.tokens import TokenClaims
from domain.users import Role, User, parse_roles, password_problem, username_problem


@attrs.define
class CreateUser:
    """An admin adds a user; the password is stored only as a salted hash."""

    users: UserDirectory
    hasher: PasswordHasher

    async def __call__(
        self, caller: TokenClaims, username: object, password: object, roles: object
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
        assert isinstance(username, str) and isinstance(password, str)
        user = User(username, await self.hasher.hash(password), parsed_roles)
        await self.users.add(user)
        return user


@attrs.define
class SeedUsers:
    """Users from configuration (the bootstrap admin, the users file) replace stored ones.

    Run at start and again whenever a store may have lost them (a Redis restarted empty);
    the admin password is hashed once.
    """

    users: UserDirectory
    hasher: PasswordHasher
    _prepared: list[User] | None = attrs.field(init=False, default=None)

    async def __call__(self, admin_password: str | None, configured: list[User]) -> None:
        if self._prepared is None:
            prepared = list(configured)
            if admin_password is not None:
                admin_hash = await self.hasher.hash(admin_password)
                prepared.insert(0, User("admin", admin_hash, frozenset({Role.ADMIN})))
            self._prepared = prepared
        for user in self._prepared:
            await self.users.put(user)
