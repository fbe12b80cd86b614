"""Logout and admin revocation."""

import attrs

from application.auth.access import require_role
from application.auth.events import EventRecorder
from application.auth.sessions import EndSessions
from domain.errors import InvalidTokenError, UnknownTokenError
from domain.events import AuthEventType
from domain.ports import RefreshTokenStore, RevocationList, TokenCodec
from domain.tokens import Revocation, RevocationKind, TokenClaims
from domain.users import Role


@attrs.define
class Logout:
    """Revokes the access token and its whole refresh family (and a second family of the
    same user if sent), and ends those families in the refresh token store."""

    codec: TokenCodec
    revocations: RevocationList
    refresh_tokens: RefreshTokenStore
    sessions: EndSessions
    events: EventRecorder

    async def __call__(
        self, caller: TokenClaims, client: str, refresh_token: str | None = None
    ) -> None:
        families = {caller.fam}
        if refresh_token is not None:
            try:
                other = self.codec.decode(refresh_token)
            except InvalidTokenError:
                other = None
            if other is not None and other.sub == caller.sub:
                families.add(other.fam)
        await self.revocations.revoke(Revocation(RevocationKind.TOKEN, caller.jti, caller.exp))
        await self.sessions.revoke_families(families)
        for family in sorted(families):
            await self.refresh_tokens.end(caller.sub, family)
        await self.events.record(AuthEventType.LOGOUT, caller.sub, client)


@attrs.define
class RevokeToken:
    """An admin revokes any token this service issued, until it would have expired."""

    codec: TokenCodec
    revocations: RevocationList
    events: EventRecorder

    async def __call__(self, caller: TokenClaims, token: str, client: str) -> None:
        require_role(caller, Role.ADMIN)
        try:
            target = self.codec.decode(token)
        except InvalidTokenError as e:
            raise UnknownTokenError(str(e)) from e
        await self.revocations.revoke(Revocation(RevocationKind.TOKEN, target.jti, target.exp))
        await self.events.record(AuthEventType.TOKEN_REVOKED, target.sub, client)
