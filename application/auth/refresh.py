"""Refresh with rotation: each refresh token works once; a second use revokes its family."""

import attrs

from application.auth.events import EventRecorder
from application.auth.sessions import EndSessions
from application.auth.tokens import TokenIssuer, VerifyToken
from domain.errors import InvalidTokenError
from domain.events import AuthEventType
from domain.ports import IdSource, RefreshTokenStore, UserDirectory
from domain.tokens import Rotation, TokenPair, TokenType

# The client of a reuse found when the journal of an outage is replayed: no request made it.
ON_REPLAY = "replay"


@attrs.define
class RevokeReusedFamily:
    """Reuse of a used refresh token means it leaked: every token of the family dies, and
    the reuse is recorded."""

    sessions: EndSessions
    events: EventRecorder

    async def __call__(self, username: str, family: str, client: str) -> None:
        await self.sessions.revoke_families({family})
        await self.events.record(AuthEventType.REFRESH_REUSE_DETECTED, username, client)

    async def found_on_replay(self, username: str, family: str) -> None:
        """A rotation accepted during an outage met Redis, which knew the token was used."""
        await self(username, family, ON_REPLAY)


@attrs.define
class Refresh:
    """Reuse of a used refresh token means it leaked: every token of the family dies.

    The user is read again on every refresh: a user who no longer exists or is disabled
    gets 401 and loses the family, and the new pair carries the user's current roles.
    """

    verify: VerifyToken
    issuer: TokenIssuer
    refresh_tokens: RefreshTokenStore
    users: UserDirectory
    sessions: EndSessions
    reuse: RevokeReusedFamily
    events: EventRecorder
    ids: IdSource

    async def __call__(self, refresh_token: str, client: str) -> TokenPair:
        claims = await self.verify(refresh_token, TokenType.REFRESH)
        user = await self.users.get(claims.sub)
        if user is None or not user.active:
            await self.refresh_tokens.end(claims.sub, claims.fam)
            await self.sessions.revoke_families({claims.fam})
            raise InvalidTokenError("the token's user no longer exists or is disabled")
        successor = self.ids.new_id()
        ttl = self.issuer.policy.refresh_ttl
        outcome = await self.refresh_tokens.rotate(
            user.username, claims.fam, claims.jti, successor, ttl
        )
        if outcome is Rotation.REUSED:
            await self.reuse(claims.sub, claims.fam, client)
            raise InvalidTokenError("refresh token was already used; its family is revoked")
        if outcome is Rotation.UNKNOWN:
            raise InvalidTokenError("refresh token is not known")
        pair = self.issuer.pair(user.username, user.roles, claims.fam, successor)
        await self.events.record(AuthEventType.TOKEN_REFRESHED, claims.sub, client)
        return pair
