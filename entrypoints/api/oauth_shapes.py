"""Shapes of the OAuth 2.0 endpoints (/oauth/*, RFC 8414 metadata): what OAuth clients send
and parse, field for field as the RFCs name them."""

from typing import Annotated, Literal

import attrs
import msgspec

from entrypoints.http.shapes import OAuthErrorBody as OAuthErrorBody


@attrs.frozen
class OAuthTokenRequest:
    """RFC 6749 §4.4.2, form-encoded; the client authenticates with HTTP Basic
    (client_secret_basic) or with `client_id` and `client_secret` here (client_secret_post),
    never both."""

    grant_type: Literal["client_credentials"]
    scope: (
        Annotated[
            str,
            msgspec.Meta(description="Space-separated; absent: every scope of the client"),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    client_id: str | msgspec.UnsetType = msgspec.UNSET
    client_secret: str | msgspec.UnsetType = msgspec.UNSET


@attrs.frozen
class TokenResponse:
    """RFC 6749 §5.1; no refresh token (§4.4.3)."""

    access_token: Annotated[str, msgspec.Meta(description="An RFC 9068 JWT (typ at+jwt)")]
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


@attrs.frozen
class OAuthRevokeRequest:
    """RFC 7009 §2.1, form-encoded, client-authenticated like the token request."""

    token: str
    token_type_hint: str | msgspec.UnsetType = msgspec.UNSET
    client_id: str | msgspec.UnsetType = msgspec.UNSET
    client_secret: str | msgspec.UnsetType = msgspec.UNSET


@attrs.frozen
class Metadata:
    """RFC 8414 authorization server metadata."""

    issuer: str
    token_endpoint: str
    jwks_uri: str
    revocation_endpoint: str
    introspection_endpoint: str
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    revocation_endpoint_auth_methods_supported: list[str]
    introspection_endpoint_auth_methods_supported: list[str]
    scopes_supported: list[str]
    response_types_supported: list[str]


AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
EXAMPLE_JWT = "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJaazN5In0.c2lnbmF0dXJl"
TOKEN_EXAMPLE = TokenResponse(EXAMPLE_JWT, "Bearer", 3600, "notifications:send")
METADATA_EXAMPLE = Metadata(
    issuer="https://auth.example.com",
    token_endpoint="https://auth.example.com/oauth/token",  # noqa: S106 - a URL
    jwks_uri="https://auth.example.com/.well-known/jwks.json",
    revocation_endpoint="https://auth.example.com/oauth/revoke",
    introspection_endpoint="https://auth.example.com/oauth/introspect",
    grant_types_supported=["client_credentials"],
    token_endpoint_auth_methods_supported=AUTH_METHODS,
    revocation_endpoint_auth_methods_supported=AUTH_METHODS,
    introspection_endpoint_auth_methods_supported=AUTH_METHODS,
    scopes_supported=["notifications:send", "users:read"],
    response_types_supported=[],
)
