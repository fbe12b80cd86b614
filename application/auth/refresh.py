"""Refresh with rotation: each refresh token works once; a second use revokes its family."""

import attrs

from application.auth.events import EventRecorder
from application.auth.tokens import TokenIssuer, VerifyToken
from domain.errors import InvalidTokenError
from domain.events import AuthEventType
from domain.ports import Clock, IdSource, RefreshTokenStore, RevocationList
from domain.tokens import Revocation, RevocationKind, Rotation, TokenPair, TokenType


@attrs.define
class Refresh:
    """Reuse of a used refresh token means it leaked: every token of the family dies."""

    verify: VerifyToken
    issuer: TokenIssuer
    refresh_tokens: RefreshTokenStore
    revocations: RevocationList
    events: EventRecorder
    clock: Clock
    ids: IdSource

    async def __call__(self, refresh_token: str, client: str) -> TokenPair:
        claims = await self.verify(refresh_token, TokenType.REFRESH)
        successor = self.ids.new_id()
        ttl = self.issuer.policy.refresh_ttl
        outcome = await self.refresh_tokens.rotate(claims.fam, claims.jti, successor, ttl)
        if outcome is Rotation.REUSED:
            until = int(self.clock.now()) + ttl
            await self.revocations.revoke(Revocation(RevocationKind.FAMILY, claims.fam, until))
            await self.events.record(AuthEventType.REFRESH_REUSE_DETECTED, claims.sub, client)
            raise InvalidTokenError("refresh token was already used; its family is revoked")
        if outcome is Rotation.UNKNOWN:
            raise InvalidTokenError("refresh token is not known")
        pair = self.issuer.pair(claims.sub, claims.roles, claims.fam, successor)
        await self.events.record(AuthEventType.TOKEN_REFRESHED, claims.sub, client)
        return pair
