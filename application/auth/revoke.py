"""Logout and admin revocation."""

import attrs

from application.auth.access import require_role
from application.auth.events import EventRecorder
from domain.errors import InvalidTokenError, ValidationError
from domain.events import AuthEventType
from domain.ports import Clock, RevocationList, TokenCodec
from domain.tokens import Revocation, RevocationKind, TokenClaims, TokenPolicy
from domain.users import Role


@attrs.define
class Logout:
    """Revokes the access token and its whole refresh family (and a second family if sent)."""

    codec: TokenCodec
    revocations: RevocationList
    events: EventRecorder
    clock: Clock
    policy: TokenPolicy

    async def __call__(
        self, caller: TokenClaims, client: str, refresh_token: str | None = None
    ) -> None:
        # A family lives as long as its newest refresh token: at most refresh_ttl from now.
        family_until = int(self.clock.now()) + self.policy.refresh_ttl
        families = {caller.fam}
        if refresh_token is not None:
            try:
                other = self.codec.decode(refresh_token)
            except InvalidTokenError:
                other = None
            if other is not None and other.sub == caller.sub:
                families.add(other.fam)
        await self.revocations.revoke(Revocation(RevocationKind.TOKEN, caller.jti, caller.exp))
        for family in sorted(families):
            await self.revocations.revoke(Revocation(RevocationKind.FAMILY, family, family_until))
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
            raise ValidationError.single("token", f"not a live token of this service: {e}") from e
        await self.revocations.revoke(Revocation(RevocationKind.TOKEN, target.jti, target.exp))
        await self.events.record(AuthEventType.TOKEN_REVOKED, target.sub, client)
