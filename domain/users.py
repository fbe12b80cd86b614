"""Users and roles."""

import enum
import re
import unicodedata

import attrs

from domain.errors import FieldError, ValidationError

# A username as given: the characters below in either case, half or full width (U+FF0D..).
USERNAME_CHARS = r"A-Za-z0-9._\-\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0e\uff3f\uff0d"
USERNAME_INPUT = re.compile(f"[{USERNAME_CHARS}]{{1,64}}")
# A username as stored and in tokens: its canonical form (see canonical_username).
USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{1,64}")
USERNAME_RULE = "must be 1-64 characters of A-Z a-z 0-9 . _ - (in any case or width: one username)"
PASSWORD_MIN, PASSWORD_MAX = 8, 256


class Role(enum.StrEnum):
    ADMIN = "admin"
    SERVICE = "service"


class UserSource(enum.StrEnum):
    """Who defined a user: the API, or configuration (BALLAST_USERS_FILE and the bootstrap
    admin), which is authoritative for the users it defines."""

    API = "api"
    FILE = "file"


@attrs.frozen
class User:
    """A user as stored: the password only ever as a salted hash.

    A disabled user cannot log in or refresh; `source` says whether configuration owns it.
    """

    username: str
    password_hash: str = attrs.field(repr=False)
    roles: frozenset[Role] = frozenset()
    disabled: bool = False
    source: UserSource = UserSource.API
    created_at: float = 0.0  # epoch s; 0 for users from configuration

    @property
    def active(self) -> bool:
        return not self.disabled

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@attrs.frozen
class UserPage:
    """Users in username order; `next_cursor` continues after them (None: no more)."""

    items: tuple[User, ...]
    next_cursor: str | None


def canonical_username(username: object) -> str | None:
    """The one form of usernames that differ only by case or Unicode compatibility
    (`Admin`, `admin`, the full-width letters U+FF21...): NFKC, case folding, NFKC again
    (folding can undo a normalisation), always of USERNAME_PATTERN. None for a name outside
    USERNAME_INPUT, which the API documents as it is (other compatibility forms, such as
    mathematical letters, are refused rather than folded). Uniqueness, lookups, tokens and
    the stores all use it."""
    if not isinstance(username, str) or not USERNAME_INPUT.fullmatch(username):
        return None
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def username_problem(username: object) -> str | None:
    return None if canonical_username(username) is not None else USERNAME_RULE


def password_problem(password: object) -> str | None:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return f"must be {PASSWORD_MIN}-{PASSWORD_MAX} characters"
    return None


def parse_roles(raw: object, field: str = "roles") -> frozenset[Role]:
    """Roles from untrusted input: a list of known role names."""
    allowed = ", ".join(r.value for r in Role)
    if not isinstance(raw, list | tuple) or not all(isinstance(r, str) for r in raw):
        raise ValidationError([FieldError(field, f"must be a list of: {allowed}")])
    try:
        return frozenset(Role(r) for r in raw)
    except ValueError:
        raise ValidationError([FieldError(field, f"each role must be one of: {allowed}")]) from None
