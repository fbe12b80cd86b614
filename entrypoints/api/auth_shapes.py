"""Request and response shapes of the auth routes; their constraints come from the domain."""

from typing import Annotated, Literal

import attrs
import msgspec

from application.auth.events import MAX_EVENTS_PAGE
from application.auth.user_admin import MAX_USERS_PAGE
from domain.events import EVENT_CURSOR, NOT_A_CURSOR, AuthEventType
from domain.users import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_INPUT,
    USERNAME_PATTERN,
    USERNAME_RULE,
    Role,
    UserSource,
)
from entrypoints.http.contract import closed
from entrypoints.http.patterns import whole

DateTime = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]
# Any case or width of the letters is the same username (domain/users.py, canonical_username).
Username = Annotated[
    str,
    msgspec.Meta(pattern=whole(USERNAME_INPUT.pattern), extra={"message": USERNAME_RULE}),
]
Password = Annotated[
    str,
    msgspec.Meta(
        min_length=PASSWORD_MIN,
        max_length=PASSWORD_MAX,
        extra={"message": f"must be {PASSWORD_MIN}-{PASSWORD_MAX} characters"},
    ),
]
Roles = Annotated[list[Role], msgspec.Meta(extra={"message": "must be a list of: admin, service"})]
FILE_USER = (
    "409 when the user is defined by BALLAST_USERS_FILE (or is the bootstrap admin):"
    " configuration is authoritative for it"
)


@attrs.frozen
class Credentials:
    username: str
    password: str


@attrs.frozen
class RefreshRequest:
    refresh_token: str


@attrs.frozen
class LogoutRequest:
    """Optional: the access token's own family is ended anyway."""

    refresh_token: str | None = None


@attrs.frozen
class RevokeRequest:
    token: str


@attrs.frozen
class IntrospectRequest:
    """RFC 7662 §2.1: `token=<jwt>` form-encoded (or, on /api/auth/introspect, the same as
    JSON). A client authenticating in the body (client_secret_post) adds `client_id` and
    `client_secret`, read from a form body only; HTTP Basic (client_secret_basic) is the
    other way, never both."""

    token: str
    token_type_hint: str | msgspec.UnsetType = msgspec.UNSET
    client_id: str | msgspec.UnsetType = msgspec.UNSET
    client_secret: str | msgspec.UnsetType = msgspec.UNSET


@attrs.frozen
class NewUser:
    username: Username
    password: Password
    roles: Roles = attrs.field(factory=list)


@attrs.frozen
class TokenPair:
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_expires_in: int


@attrs.frozen
class Me:
    username: str
    roles: list[Role]


@attrs.frozen
class UserView:
    username: str
    roles: list[Role]
    disabled: bool
    created_at: Annotated[
        DateTime | None, msgspec.Meta(description="null for users defined by configuration")
    ]
    source: UserSource


@attrs.frozen
class UserPage:
    items: list[UserView]
    next_cursor: (
        Annotated[str, msgspec.Meta(description="Give it as `cursor` to read the next page")] | None
    )


@attrs.frozen
class UsersQuery:
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_USERS_PAGE, description="Users per page")] = 50
    cursor: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=whole(USERNAME_PATTERN.pattern),
                description="next_cursor of the previous page",
                extra={"message": "is not a cursor from a previous page"},
            ),
        ]
        | None
    ) = None


@attrs.frozen
class UserPath:
    """Any text: a name no user can have is simply not found (404)."""

    username: Annotated[str, msgspec.Meta(examples=["alice"])]


@closed("is not a field of a user that can change")
@attrs.frozen
class UserChanges:
    """Only what is sent changes; `disabled: null` changes nothing."""

    roles: Roles | msgspec.UnsetType = msgspec.UNSET
    disabled: bool | msgspec.UnsetType | None = msgspec.UNSET


@attrs.frozen
class PasswordChange:
    current_password: str
    new_password: Password


@attrs.frozen
class AuthEventView:
    type: AuthEventType
    username: str
    at: DateTime
    client: str
    actor: Annotated[str, msgspec.Meta(description="who made the change; empty if no one did")]


@attrs.frozen
class AuthEvents:
    items: list[AuthEventView]
    next_cursor: (
        Annotated[str, msgspec.Meta(description="Give it as `cursor` to read the next page")] | None
    )


@attrs.frozen
class EventsQuery:
    limit: Annotated[
        int, msgspec.Meta(ge=1, le=MAX_EVENTS_PAGE, description="How many, newest first")
    ] = 50
    cursor: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=whole(EVENT_CURSOR.pattern),
                description="next_cursor of the previous page",
                extra={"message": NOT_A_CURSOR},
            ),
        ]
        | None
    ) = None


@attrs.frozen
class Introspection:
    """RFC 7662 §2.2: a live token's members, in the RFC's order, then Ballast's own
    (`token_use`, `roles`); anything not live is `{"active": false}` alone."""

    active: bool
    scope: (
        Annotated[str, msgspec.Meta(description="A client's token: its scopes, space-separated")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    client_id: (
        Annotated[str, msgspec.Meta(description="A client's token: the client's id")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    username: (
        Annotated[str, msgspec.Meta(description="A user's token: the user (never a client)")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    token_type: (
        Annotated[
            Literal["Bearer"],
            msgspec.Meta(description="RFC 6749 §5.1; an access token's (a refresh token has none)"),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    exp: int | msgspec.UnsetType = msgspec.UNSET
    iat: int | msgspec.UnsetType = msgspec.UNSET
    sub: str | msgspec.UnsetType = msgspec.UNSET
    aud: str | msgspec.UnsetType = msgspec.UNSET
    iss: str | msgspec.UnsetType = msgspec.UNSET
    jti: str | msgspec.UnsetType = msgspec.UNSET
    token_use: (
        Annotated[
            Literal["access_token", "refresh_token"],
            msgspec.Meta(description="Ballast's: what the token is for"),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    roles: (
        Annotated[list[Role], msgspec.Meta(description="Ballast's: a user's token's roles")]
        | msgspec.UnsetType
    ) = msgspec.UNSET


@attrs.frozen
class Jwk:
    """A public key (RFC 7517) of the current or an earlier signing key."""

    kty: Literal["OKP", "EC"]
    kid: Annotated[str, msgspec.Meta(description="RFC 7638 thumbprint; the token header's kid")]
    alg: Literal["EdDSA", "ES256"]
    use: Literal["sig"]
    x: str
    crv: Literal["Ed25519", "P-256"] | msgspec.UnsetType = msgspec.UNSET
    y: str | msgspec.UnsetType = msgspec.UNSET


@attrs.frozen
class Jwks:
    """The keys that verify this service's tokens, current first; empty under HS256."""

    keys: list[Jwk]


EXAMPLE_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
PAIR_EXAMPLE = TokenPair(EXAMPLE_JWT, EXAMPLE_JWT, "Bearer", 900, 2_592_000)
ME_EXAMPLE = Me("alice", [Role.SERVICE])
USER_EXAMPLE = UserView("alice", [Role.SERVICE], False, "2026-01-05T09:30:00.000Z", UserSource.API)
USERS_EXAMPLE = UserPage([USER_EXAMPLE], "alice")
EVENTS_EXAMPLE = AuthEvents(
    [
        AuthEventView(
            AuthEventType.USER_CREATED, "alice", "2026-01-05T09:30:00.000Z", "10.0.0.7", "admin"
        )
    ],
    "1767605400000-0",
)
INTROSPECTION_EXAMPLE = Introspection(
    active=True,
    username="alice",
    token_type="Bearer",  # noqa: S106 - a token type, no secret
    exp=1_767_606_300,
    iat=1_767_605_400,
    sub="alice",
    iss="ballast",
    jti="7f3c9a52e1d04b8c",
    token_use="access_token",  # noqa: S106 - a token use, no secret
    roles=[Role.SERVICE],
)
JWKS_EXAMPLE = Jwks(
    [
        Jwk(
            kty="OKP",
            kid="NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
            alg="EdDSA",
            use="sig",
            x="11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            crv="Ed25519",
        )
    ]
)
