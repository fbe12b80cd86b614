"""OAuth clients (machines) and scopes."""

import re

import attrs

from domain.errors import ClientsRefusedError, FieldError, ValidationError
from domain.users import UserSource

# Ballast's own scopes: each operation a client may call names the one it needs.
BALLAST_SCOPES = (
    "notifications:send",
    "notifications:read",
    "tokens:introspect",
    "users:read",
    "users:write",
    "clients:write",
    "events:read",
)
# A subset of RFC 6749 §3.3 scope-tokens that reads the same in a URL, a header and a log.
SCOPE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
NAME_MAX = 128
AUDIENCE_MAX = 256
# A name or audience: any text without control characters (they would break a log line).
NAME_PATTERN = re.compile(f"[^\\x00-\\x1f\\x7f-\\x9f]{{1,{NAME_MAX}}}")
AUDIENCE_PATTERN = re.compile(f"[^\\x00-\\x1f\\x7f-\\x9f]{{1,{AUDIENCE_MAX}}}")
MAX_SCOPES = 64  # per client


@attrs.frozen
class ClientPolicy:
    """How clients are served: the scopes that exist (Ballast's and the operator's), the
    lifetime of their tokens, how long a replaced secret keeps working, and whether this
    server may serve clients at all."""

    scopes: tuple[str, ...] = BALLAST_SCOPES
    token_ttl: int = 3600
    secret_overlap: int = 3600
    # Why this server may have no client at all (None: it may): whatever the registry
    # holds, it then creates no client and issues no client token.
    refusal: str | None = None

    def require_clients(self) -> None:
        if self.refusal is not None:
            raise ClientsRefusedError(self.refusal)


@attrs.frozen
class Client:
    """A machine that gets tokens with its secret; the secret only ever as a keyed hash.

    After a rotation, `previous_hash` keeps working until `previous_until` (epoch s), so a
    fleet can roll. A disabled client gets no token.
    """

    client_id: str
    name: str
    secret_hash: str = attrs.field(repr=False)
    scopes: frozenset[str] = frozenset()
    audience: str | None = None
    disabled: bool = False
    created_at: float = 0.0
    source: UserSource = UserSource.API
    previous_hash: str | None = attrs.field(default=None, repr=False)
    previous_until: float = 0.0

    @property
    def active(self) -> bool:
        return not self.disabled

    def hashes(self, now: float) -> tuple[str, ...]:
        """The hashes a presented secret may match now."""
        if self.previous_hash is not None and now < self.previous_until:
            return (self.secret_hash, self.previous_hash)
        return (self.secret_hash,)


@attrs.frozen
class ClientPage:
    """Clients in id order; `next_cursor` continues after them (None: no more)."""

    items: tuple[Client, ...]
    next_cursor: str | None


def client_id_problem(client_id: object) -> str | None:
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.fullmatch(client_id):
        return "must be 1-64 characters of A-Z a-z 0-9 _ -"
    return None


def parse_scopes(raw: object, known: tuple[str, ...], field: str = "scopes") -> frozenset[str]:
    """Scopes from untrusted input: a list of known scope names (422 naming an unknown one)."""
    if not isinstance(raw, list | tuple) or not all(isinstance(s, str) for s in raw):
        raise ValidationError.single(field, "must be a list of scope names")
    if len(raw) > MAX_SCOPES:
        raise ValidationError.single(field, f"must have at most {MAX_SCOPES} items")
    unknown = [s for s in raw if s not in known]
    if unknown:
        raise ValidationError([FieldError(field, f"unknown scope {unknown[0]!r}")])
    return frozenset(raw)


def scope_text(scopes: frozenset[str]) -> str:
    """RFC 6749 §3.3: space-separated, in a stable order."""
    return " ".join(sorted(scopes))
