"""Token introspection (RFC 7662) for other services."""

import attrs

from application.auth.access import require_role
from application.auth.tokens import VerifyToken
from domain.errors import InvalidTokenError
from domain.tokens import TokenClaims
from domain.users import Role


@attrs.define
class Introspect:
    """A service asks whether a token is live: the same checks as every protected route
    (signature, key, issuer, audience, expiry, revocations and user cut-offs), answered
    from process memory. Why a token is not live is not the caller's business."""

    verify: VerifyToken

    async def __call__(self, caller: TokenClaims, token: str) -> TokenClaims | None:
        require_role(caller, Role.SERVICE, Role.ADMIN)
        try:
            return await self.verify(token, expected=None)
        except InvalidTokenError:
            return None
