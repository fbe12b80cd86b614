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
    audience: str | None = None


@attrs.frozen
class TokenClaims:
    """The verified content of a JWT; `fam` ties access and refresh tokens to one family.

    `iat` has millisecond precision (a JWT NumericDate may be fractional), so that a user's
    cut-off at time T separates the tokens issued before it from those issued after, even
    within one second.
    """

    sub: str
    jti: str
    iat: float
    exp: int
    iss: str
    type: TokenType
    roles: frozenset[Role]
    fam: str
    aud: str | None = None
    # A client's token (RFC 9068): its client id (also `sub`) and scopes; no roles, no family.
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def is_client(self) -> bool:
        return self.client_id is not None

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
    USER = "user"  # every token of user `id` issued before `issued_before`
    CLIENT = "client"  # every token of client `id` issued before `issued_before`


@attrs.frozen
class Revocation:
    """A revoked token id or family id, kept until `expires_at` (epoch s), no longer.

    Of kind USER, a per-user cut-off: one entry revokes every token of the user issued
    at or before `issued_before` (except the token `spared`, the caller's own when a password is
    changed); it is kept until the last token it can concern would have expired.
    """

    kind: RevocationKind
    id: str
    expires_at: int
    issued_before: float = 0.0
    spared: str = ""

    def covers(self, claims: TokenClaims) -> bool:
        """Whether this revocation refuses `claims`."""
        if self.kind is RevocationKind.TOKEN:
            return claims.jti == self.id
        if self.kind is RevocationKind.FAMILY:
            return claims.fam == self.id
        if self.kind is RevocationKind.CLIENT:
            return claims.client_id == self.id and claims.iat <= self.issued_before
        return (
            claims.sub == self.id and claims.iat <= self.issued_before and claims.jti != self.spared
        )

    def supersedes(self, other: "Revocation") -> bool:
        """Of two revocations of one id, the one to keep: the later cut-off, else the
        longer-lived one."""
        cutoff = self.kind in (RevocationKind.USER, RevocationKind.CLIENT)
        if cutoff and self.issued_before != other.issued_before:
            return self.issued_before > other.issued_before
        return self.expires_at > other.expires_at


def user_cutoff(username: str, at: float, policy: TokenPolicy, spared: str = "") -> Revocation:
    """Every token of `username` issued before `at`: such a token expires at the latest
    one refresh lifetime after `at`, and so does this entry."""
    lifetime = max(policy.access_ttl, policy.refresh_ttl)
    return Revocation(RevocationKind.USER, username, int(at) + lifetime + 1, at, spared)


def client_cutoff(client_id: str, at: float, token_ttl: int) -> Revocation:
    """Every token of client `client_id` issued before `at`: kept one token lifetime."""
    return Revocation(RevocationKind.CLIENT, client_id, int(at) + token_ttl + 1, at)


class Rotation(enum.Enum):
    """Outcome of presenting a refresh token to its family."""

    ROTATED = "rotated"  # it was the family's current token: used up, a successor recorded
    REUSED = "reused"  # the family exists but this token is not its current one
    UNKNOWN = "unknown"  # no such family (never issued, or expired)
