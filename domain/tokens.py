"""Token claims, token pairs, refresh families and revocations."""

import enum

import attrs

from domain.users import Role


class TokenType(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@attrs.frozen
class TokenPolicy:
    """How tokens are issued: lifetimes in seconds and the issuer checked on every token."""

    issuer: str = "ballast"
    access_ttl: int = 900
    refresh_ttl: int = 2_592_000


@attrs.frozen
class TokenClaims:
    """The verified content of a JWT; `fam` ties access and refresh tokens to one family."""

    sub: str
    jti: str
    iat: int
    exp: int
    iss: str
    type: TokenType
    roles: frozenset[Role]
    fam: str

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@attrs.frozen
class TokenPair:
    access_token: str = attrs.field(repr=False)
    refresh_token: str = attrs.field(repr=False)
    expires_in: int
    refresh_expires_in: int


class RevocationKind(enum.StrEnum):
    TOKEN = "token"
    FAMILY = "family"


@attrs.frozen
class Revocation:
    """A revoked token id or family id, kept until `expires_at` (epoch s), no longer."""

    kind: RevocationKind
    id: str
    expires_at: int


class Rotation(enum.Enum):
    """Outcome of presenting a refresh token to its family."""

    ROTATED = "rotated"  # it was the family's current token: used up, a successor recorded
    REUSED = "reused"  # the family exists but this token is not its current one
    UNKNOWN = "unknown"  # no such family (never issued, or expired)
