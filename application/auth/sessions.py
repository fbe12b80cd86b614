"""Ending a user's sessions: every refresh family of the user, at once."""

import attrs

from domain.ports import Clock, RefreshTokenStore, RevocationList
from domain.tokens import Revocation, RevocationKind, TokenPolicy, user_cutoff


@attrs.define
class EndSessions:
    """Ends every session of a user: every refresh family in the store, and every token
    issued so far by a per-user cut-off, so its access tokens die too. Removing,
    disabling or demoting a user, logging out everywhere, a new password need exactly this."""

    refresh_tokens: RefreshTokenStore
    revocations: RevocationList
    clock: Clock
    policy: TokenPolicy

    async def __call__(self, username: str, spared: str = "") -> list[str]:
        """Every token of `username` issued until now dies (but the token `spared`): one
        cut-off revocation, however many sessions; the store forgets the families."""
        families = await self.refresh_tokens.end_all(username)
        await self.revocations.revoke(user_cutoff(username, self.clock.now(), self.policy, spared))
        return families

    async def revoke_families(self, families: list[str] | set[str]) -> None:
        # A family lives as long as its newest refresh token: at most refresh_ttl from now.
        until = int(self.clock.now()) + self.policy.refresh_ttl
        for family in sorted(families):
            await self.revocations.revoke(Revocation(RevocationKind.FAMILY, family, until))
