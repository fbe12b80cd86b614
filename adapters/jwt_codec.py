"""JWT encoding of token claims with pyjwt: HS256, EdDSA or ES256, pinned per key by `kid`."""

import jwt

from adapters.jwt_keys import Algorithm, KeyRing, VerifyingKey
from application.bounded_cache import BoundedCache
from domain.errors import InvalidTokenError
from domain.ports import Clock
from domain.tokens import TokenClaims, TokenType
from domain.users import Role

MAX_TOKEN_LENGTH = 4096
REQUIRED = ["sub", "jti", "iat", "exp", "iss", "type", "roles", "fam"]
# A client's token (RFC 9068 §2.2); its audience is the client's own, checked by the caller.
CLIENT_REQUIRED = ["sub", "client_id", "jti", "iat", "exp", "iss", "scope"]
AT_JWT = "at+jwt"


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
    if isinstance(error, jwt.InvalidAudienceError):
        return "token is meant for another audience"
    if isinstance(error, jwt.DecodeError):
        return "token is not a well-formed JWT"
    return "token is not valid"


class JwtTokenCodec:
    """Time checks use the injected clock, so tests can move time instead of sleeping.

    Verified claims are cached by the exact token string: a signature that checked once
    checks forever, and decoding is most of the cost of an authenticated request. Expiry
    is checked on every use; revocation is the caller's check, on every use too.

    The header's `kid` picks the key and that key alone fixes the algorithm, so a token
    cannot choose how it is checked. Under HS256 a token without `kid` (issued before
    tokens carried one) is checked with the current secret until it expires.
    """

    def __init__(
        self,
        keys: KeyRing,
        issuer: str,
        clock: Clock,
        audience: str | None = None,
        cache_size: int = 4096,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._verified: BoundedCache[str, TokenClaims] = BoundedCache("verified_tokens", cache_size)
        self._required = [*REQUIRED, "aud"] if audience else REQUIRED

    def encode(self, claims: TokenClaims) -> str:
        signing = self._keys.signing
        headers = {"kid": signing.kid}
        if claims.client_id is not None:
            payload, headers["typ"] = _client_payload(claims), AT_JWT
        else:
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
            if claims.aud is not None:
                payload["aud"] = claims.aud
        return jwt.encode(payload, signing.key, algorithm=signing.algorithm.value, headers=headers)

    def _key_for(self, token: str) -> tuple[VerifyingKey, bool]:
        """The key that checks the token, and whether it is a client's (`typ: at+jwt`)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise InvalidTokenError(_reason(e)) from e
        kid, client = header.get("kid"), header.get("typ") == AT_JWT
        if kid is None and not client and self._keys.signing.algorithm is Algorithm.HS256:
            return self._keys.verifying[self._keys.signing.kid], False
        key = self._keys.verifying.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidTokenError("token is signed by an unknown key")
        return key, client

    def decode(self, token: str) -> TokenClaims:
        cached = self._verified.get(token)
        if cached is not None:
            self._check_time(cached)
            return cached
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("token is too long")
        key, client = self._key_for(token)
        try:
            payload = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm.value],
                issuer=self._issuer,
                audience=None if client else self._audience,
                options={
                    "require": CLIENT_REQUIRED if client else self._required,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_aud": not client,
                },
            )
        except jwt.PyJWTError as e:
            raise InvalidTokenError(_reason(e)) from e
        claims = _client_claims(payload) if client else self._claims(payload)
        self._check_time(claims)
        self._verified.put(token, claims)
        return claims

    def _claims(self, payload: dict[str, object]) -> TokenClaims:
        try:
            iat, exp = _times(payload)
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
                aud=self._audience if payload.get("aud") is not None else None,
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


def _times(payload: dict[str, object]) -> tuple[float, int]:
    """`iat` and `exp`, checked: a number (not NaN) and an integer."""
    iat, exp = payload["iat"], payload["exp"]
    if not isinstance(iat, int | float) or isinstance(iat, bool) or iat != iat:
        raise InvalidTokenError("iat must be a number")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise InvalidTokenError("exp must be an integer")
    return iat, exp


def _client_payload(claims: TokenClaims) -> dict[str, object]:
    payload: dict[str, object] = {
        "iss": claims.iss,
        "sub": claims.sub,
        "client_id": claims.client_id,
        "exp": claims.exp,
        "iat": claims.iat,
        "jti": claims.jti,
        "scope": " ".join(sorted(claims.scopes)),
    }
    if claims.aud is not None:
        payload["aud"] = claims.aud
    return payload


def _client_claims(payload: dict[str, object]) -> TokenClaims:
    (iat, exp), aud = _times(payload), payload.get("aud")
    sub, client_id, scope = payload["sub"], payload["client_id"], payload["scope"]
    if not isinstance(sub, str) or sub != client_id or not isinstance(scope, str):
        raise InvalidTokenError("malformed claims")
    if aud is not None and not isinstance(aud, str):
        raise InvalidTokenError("malformed claims")
    return TokenClaims(
        sub=sub,
        jti=str(payload["jti"]),
        iat=iat,
        exp=exp,
        iss=str(payload["iss"]),
        type=TokenType.ACCESS,
        roles=frozenset(),
        fam=str(payload["jti"]),
        aud=aud,
        client_id=sub,
        scopes=frozenset(scope.split()),
    )
