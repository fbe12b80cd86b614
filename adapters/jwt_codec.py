"""JWT (HS256, pinned) encoding of token claims with pyjwt."""

import jwt

from domain.errors import InvalidTokenError
from domain.ports import Clock
from domain.tokens import TokenClaims, TokenType
from domain.users import Role

MAX_TOKEN_LENGTH = 4096
REQUIRED = ["sub", "jti", "iat", "exp", "iss", "type", "roles", "fam"]


def _reason(error: jwt.PyJWTError) -> str:
    """What was wrong with the token, in words about the token, never pyjwt's class names."""
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"token lacks the {error.claim!r} claim"
    if isinstance(error, jwt.InvalidIssuerError):
        return "token was issued by someone else"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "token is not signed with the expected algorithm"
    if isinstance(error, jwt.InvalidSignatureError):
        return "token signature does not match"
    if isinstance(error, jwt.DecodeError):
        return "token is not a well-formed JWT"
    return "token is not valid"


class JwtTokenCodec:
    """Time checks use the injected clock, so tests can move time instead of sleeping.

    Verified claims are cached by the exact token string: a signature that checked once
    checks forever, and decoding is most of the cost of an authenticated request. Expiry
    is checked on every use; revocation is the caller's check, on every use too.
    """

    algorithm = "HS256"

    def __init__(self, secret: str, issuer: str, clock: Clock, cache_size: int = 4096) -> None:
        self._secret = secret
        self._issuer = issuer
        self._clock = clock
        self._verified: dict[str, TokenClaims] = {}
        self._cache_size = cache_size

    def encode(self, claims: TokenClaims) -> str:
        payload = {
            "sub": claims.sub,
            "jti": claims.jti,
            "iat": claims.iat,
            "exp": claims.exp,
            "iss": claims.iss,
            "type": claims.type.value,
            "roles": sorted(r.value for r in claims.roles),
            "fam": claims.fam,
        }
        return jwt.encode(payload, self._secret, algorithm=self.algorithm)

    def decode(self, token: str) -> TokenClaims:
        cached = self._verified.get(token)
        if cached is not None:
            self._check_time(cached)
            return cached
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("token is too long")
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[self.algorithm],
                issuer=self._issuer,
                options={"require": REQUIRED, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as e:
            raise InvalidTokenError(_reason(e)) from e
        claims = self._claims(payload)
        self._check_time(claims)
        if len(self._verified) >= self._cache_size:
            self._verified.clear()  # cheap and bounded; hot tokens come back at once
        self._verified[token] = claims
        return claims

    def _claims(self, payload: dict[str, object]) -> TokenClaims:
        try:
            iat, exp = payload["iat"], payload["exp"]
            if not isinstance(iat, int) or not isinstance(exp, int):
                raise InvalidTokenError("iat and exp must be integers")
            roles = payload["roles"]
            if not isinstance(roles, list):
                raise InvalidTokenError("roles must be a list")
            claims = TokenClaims(
                sub=str(payload["sub"]),
                jti=str(payload["jti"]),
                iat=iat,
                exp=exp,
                iss=str(payload["iss"]),
                type=TokenType(str(payload["type"])),
                roles=frozenset(Role(r) for r in roles),
                fam=str(payload["fam"]),
            )
        except (ValueError, TypeError) as e:
            raise InvalidTokenError("malformed claims") from e
        return claims

    def _check_time(self, claims: TokenClaims) -> None:
        now = self._clock.now()
        if claims.exp <= now:
            raise InvalidTokenError("token has expired")
        if claims.iat > now + 5:  # a few seconds of clock skew between instances
            raise InvalidTokenError("token is not valid yet")
