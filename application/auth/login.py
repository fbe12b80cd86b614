"""Login: password check, then a new token family."""

import attrs

from application.auth.events import EventRecorder
from application.auth.tokens import TokenIssuer
from domain.errors import InvalidCredentialsError
from domain.events import AuthEventType
from domain.ports import IdSource, PasswordHasher, RefreshTokenStore, UserDirectory
from domain.tokens import TokenPair
from domain.users import username_problem


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
        user = None if username_problem(username) else await self.users.get(username)
        matches = await self.hasher.verify(password, user.password_hash if user else None)
        if user is None or not matches or not user.active:
            await self.events.record(AuthEventType.LOGIN_FAILED, username[:64], client)
            raise InvalidCredentialsError()
        family, refresh_jti = self.ids.new_id(), self.ids.new_id()
        await self.refresh_tokens.start(
            user.username, family, refresh_jti, self.issuer.policy.refresh_ttl
        )
        pair = self.issuer.pair(user.username, user.roles, family, refresh_jti)
        await self.events.record(AuthEventType.LOGIN_SUCCEEDED, user.username, client)
        return pair
