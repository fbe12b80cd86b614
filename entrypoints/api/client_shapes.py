"""Request and response shapes of the client routes (/api/clients)."""

from typing import Annotated, Any, Literal

import attrs
import msgspec

from application.auth.clients import MAX_CLIENTS_PAGE
from domain.clients import (
    AUDIENCE_MAX,
    AUDIENCE_PATTERN,
    CLIENT_ID_PATTERN,
    MAX_SCOPES,
    NAME_MAX,
    NAME_PATTERN,
)
from domain.users import UserSource
from entrypoints.api.auth_shapes import DateTime
from entrypoints.http.contract import closed
from entrypoints.http.patterns import whole

Name = Annotated[
    str,
    msgspec.Meta(
        pattern=whole(NAME_PATTERN.pattern),
        extra={"message": f"must be 1-{NAME_MAX} characters, none a control"},
    ),
]
Audience = Annotated[
    str,
    msgspec.Meta(
        pattern=whole(AUDIENCE_PATTERN.pattern),
        description="The `aud` of the client's tokens (default: BALLAST_JWT_AUDIENCE)",
        extra={"message": f"must be 1-{AUDIENCE_MAX} characters, none a control"},
    ),
]
CONFIGURED = (
    "409 when the client is defined by BALLAST_CLIENTS_FILE: configuration is authoritative for it"
)


def body_shapes(scopes: tuple[str, ...]) -> tuple[Any, Any]:
    """The bodies that name scopes, built for the scopes this server knows (Ballast's and
    BALLAST_OAUTH_SCOPES), so that the document lists them and an unknown one is a 422
    naming it."""
    scope: Any = Literal[scopes]
    scope_list: Any = Annotated[
        list[scope],
        msgspec.Meta(
            max_length=MAX_SCOPES,
            description="Scopes the client may ask for (GET"
            " /.well-known/oauth-authorization-server lists them)",
        ),
    ]

    @closed("is not a field of a client")
    @attrs.frozen
    class NewClient:
        name: Name
        scopes: scope_list = attrs.field(factory=list)
        audience: Audience | None = None

    @closed("is not a field of a client that can change")
    @attrs.frozen
    class ClientChanges:
        """Only what is sent changes; `audience: null` removes the client's own audience."""

        name: Name | msgspec.UnsetType = msgspec.UNSET
        scopes: scope_list | msgspec.UnsetType = msgspec.UNSET
        audience: Audience | msgspec.UnsetType | None = msgspec.UNSET
        disabled: bool | msgspec.UnsetType | None = msgspec.UNSET

    return NewClient, ClientChanges


@attrs.frozen
class ClientView:
    client_id: str
    name: str
    scopes: list[str]
    audience: str | None
    created_at: Annotated[
        DateTime | None, msgspec.Meta(description="null for clients defined by configuration")
    ]
    disabled: bool
    source: UserSource


@attrs.frozen
class CreatedClient:
    """The secret is shown this once: only its keyed hash is kept."""

    client_id: str
    client_secret: str
    name: str
    scopes: list[str]
    audience: str | None
    created_at: DateTime
    disabled: bool


@attrs.frozen
class NewSecret:
    """Shown this once; the previous secret keeps working for BALLAST_CLIENT_SECRET_OVERLAP s."""

    client_secret: str


@attrs.frozen
class ClientPage:
    items: list[ClientView]
    next_cursor: (
        Annotated[str, msgspec.Meta(description="Give it as `cursor` to read the next page")] | None
    )


@attrs.frozen
class ClientsQuery:
    limit: Annotated[
        int, msgspec.Meta(ge=1, le=MAX_CLIENTS_PAGE, description="Clients per page")
    ] = 50
    cursor: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=whole(CLIENT_ID_PATTERN.pattern),
                description="next_cursor of the previous page",
                extra={"message": "is not a cursor from a previous page"},
            ),
        ]
        | None
    ) = None


@attrs.frozen
class ClientPath:
    """Any text: an id no client can have is simply not found (404)."""

    client_id: Annotated[str, msgspec.Meta(examples=["Zk3yN2Qp8sVbXc1LmA9tRw"])]


EXAMPLE_ID = "Zk3yN2Qp8sVbXc1LmA9tRw"
EXAMPLE_SECRET = "q0Zr6x9UaJvI3cW1bKs7pT4mN8eH2fLdYgB5oQ-_xyz"
CLIENT_EXAMPLE = ClientView(
    EXAMPLE_ID,
    "billing",
    ["notifications:send"],
    None,
    "2026-01-05T09:30:00.000Z",
    False,
    UserSource.API,
)
CREATED_EXAMPLE = CreatedClient(
    EXAMPLE_ID,
    EXAMPLE_SECRET,
    "billing",
    ["notifications:send"],
    None,
    "2026-01-05T09:30:00.000Z",
    False,
)
PAGE_EXAMPLE = ClientPage([CLIENT_EXAMPLE], EXAMPLE_ID)
