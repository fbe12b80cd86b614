"""Issuing and verifying token pairs; shared by login, refresh and every protected route."""

import math

import attrs

from domain.errors import InvalidTokenError
from domain.ports import Clock, IdSource, RevocationList, TokenCodec
from domain.tokens import TokenClaims, TokenPair, TokenPolicy, TokenType
from domain.users import Role


@attrs.define
class TokenIssuer:
    """Signs an access and a refresh token that share claims and family."""

    codec: TokenCodec
    policy: TokenPolicy
    clock: Clock
    ids: IdSource

    def pair(self, sub: str, roles: frozenset[Role], family: str, refresh_jti: str) -> TokenPair:
        now = self.clock.now()
        issued_at = math.floor(now * 1000) / 1000  # never after `now`: see TokenClaims

        def claims(kind: TokenType, jti: str, ttl: int) -> TokenClaims:
            return TokenClaims(
                sub=sub,
                jti=jti,
                iat=issued_at,
                exp=int(now) + ttl,
                iss=self.policy.issuer,
                type=kind,
                roles=roles,
                fam=family,
                aud=self.policy.audience,
            )

        access = claims(TokenType.ACCESS, self.ids.new_id(), self.policy.access_ttl)
        refresh = claims(TokenType.REFRESH, refresh_jti, self.policy.refresh_ttl)
        return TokenPair(
            access_token=self.codec.encode(access),
            refresh_token=self.codec.encode(refresh),
            expires_in=self.policy.access_ttl,
            refresh_expires_in=self.policy.refresh_ttl,
        )


@attrs.define
class VerifyToken:
    """Signature, algorithm, issuer, expiry, type and revocation: all or nothing. A client's
    token calls Ballast only when it is meant for Ballast's audience (any audience is
    answered by introspection)."""

    codec: TokenCodec
    revocations: RevocationList
    policy: TokenPolicy

    async def __call__(
        self, token: str, expected: TokenType | None = TokenType.ACCESS
    ) -> TokenClaims:
        """`expected=None` accepts either type (introspection)."""
        claims = self.codec.decode(token)
        if expected is not None and claims.type is not expected:
            raise InvalidTokenError(f"a {expected.value} token is required")
        if (
            claims.client_id is not None
            and expected is not None
            and claims.aud != self.policy.audience
        ):
            raise InvalidTokenError("token is meant for another audience")
        if await self.revocations.is_revoked(claims):
            raise InvalidTokenError("token has been revoked")
        return claims
