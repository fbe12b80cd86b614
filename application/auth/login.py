"""Login: password check, then a new token family (and the stored hash brought up to date)."""

import attrs

from application.auth.events import EventRecorder
from application.auth.tokens import TokenIssuer
from domain.errors import InvalidCredentialsError, RateLimitedError
from domain.events import AuthEventType
from domain.ports import IdSource, PasswordHasher, RefreshTokenStore, UserDirectory
from domain.tokens import TokenPair
from domain.users import User, UserSource, canonical_username


@attrs.define
class Login:
    """Unknown user, disabled user and wrong password fail alike, in the same time and with
    the same error."""

    users: UserDirectory
    hasher: PasswordHasher
    issuer: TokenIssuer
    refresh_tokens: RefreshTokenStore
    events: EventRecorder
    ids: IdSource

    async def __call__(self, username: str, password: str, client: str) -> TokenPair:
        name = canonical_username(username)
        user = None if name is None else await self.users.get(name)
        stored = user.password_hash if user else None
        matches = await self.hasher.verify(password, stored, client)
        if user is None or not matches or not user.active:
            await self.events.record(AuthEventType.LOGIN_FAILED, name or username[:64], client)
            raise InvalidCredentialsError()
        if user.source is UserSource.API and self.hasher.needs_rehash(user.password_hash):
            await self._rehash(user, password, client)
        family, refresh_jti = self.ids.new_id(), self.ids.new_id()
        await self.refresh_tokens.start(
            user.username, family, refresh_jti, self.issuer.policy.refresh_ttl
        )
        pair = self.issuer.pair(user.username, user.roles, family, refresh_jti)
        await self.events.record(AuthEventType.LOGIN_SUCCEEDED, user.username, client)
        return pair

    async def _rehash(self, user: User, password: str, client: str) -> None:
        """A hash of an older scheme or cost is replaced now that the password is known,
        unless the password changed meanwhile (the user read again just before)."""
        try:
            rehashed = await self.hasher.hash(password, client)
        except RateLimitedError:
            return  # the pool is busy with this client: the next login will do it
        current = await self.users.get(user.username)
        if current is not None and current.password_hash == user.password_hash:
            await self.users.put(attrs.evolve(current, password_hash=rehashed))
