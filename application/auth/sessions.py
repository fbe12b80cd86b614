"""Ending a user's sessions: every refresh family of the user, at once."""

import attrs

from domain.ports import Clock, RefreshTokenStore, RevocationList
from domain.tokens import Revocation, RevocationKind, TokenPolicy


@attrs.define
class EndSessions:
    """Ends every live refresh family of a user in the store and revokes each family, so
    its access tokens die too. Removing, disabling or demoting a user needs exactly this."""

    refresh_tokens: RefreshTokenStore
    revocations: RevocationList
    clock: Clock
    policy: TokenPolicy

    async def __call__(self, username: str) -> list[str]:
        families = await self.refresh_tokens.end_all(username)
        await self.revoke_families(families)
        return families

    async def revoke_families(self, families: list[str] | set[str]) -> None:
        # A family lives as long as its newest refresh token: at most refresh_ttl from now.
        until = int(self.clock.now()) + self.policy.refresh_ttl
        for family in sorted(families):
            await self.revocations.revoke(Revocation(RevocationKind.FAMILY, family, until))
