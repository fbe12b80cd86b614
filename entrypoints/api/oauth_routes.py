"""The OAuth 2.0 authorization server for machines: the token endpoint (RFC 6749 §4.4,
client credentials), revocation (RFC 7009) and the server's metadata (RFC 8414);
introspection (RFC 7662) is introspection_routes.py. Errors are RFC 6749 §5.2 JSON, the
format OAuth clients parse (the edge answers every OAuthError so: problems.py)."""

from typing import Any

import attrs
import msgspec
import punq
from starlette.requests import Request
from starlette.responses import Response

from application.auth.grant import IssueClientToken
from application.auth.oauth_revoke import RevokeClientToken
from application.bounded_cache import BoundedCache
from domain.clients import ClientPolicy
from domain.errors import OAuthError
from entrypoints import metrics
from entrypoints.api import introspection_routes
from entrypoints.api import oauth_shapes as shapes
from entrypoints.api.oauth_client_auth import ClientAuthentication, invalid_request, read_form
from entrypoints.http.caching import cached_json
from entrypoints.http.contract import Endpoint, Operation, json_of
from entrypoints.http.problems import OAUTH_NO_STORE as NO_STORE
from entrypoints.http.requests import client_address
from entrypoints.settings import Settings

OAUTH = "oauth"
# The metadata of the base URLs seen last (one per host name clients use: a few) is kept, of
# a URL at most MAX_KEPT_BASE long: the Host header names it, and a client may send one of
# kilobytes (no host name is longer than 253 characters, RFC 1035). A longer one is
# answered, never kept.
MAX_KEPT_BASES = 16
MAX_KEPT_BASE = 320
TOKEN = Operation(
    "POST",
    "/oauth/token",
    "getClientToken",
    "Client-credentials grant (RFC 6749 §4.4): an RFC 9068 access token for a client that"
    " authenticates with HTTP Basic or in the body; errors as RFC 6749 §5.2. 409 when"
    " production runs without an https URL BALLAST_JWT_ISSUER: it issues no client token",
    OAUTH,
    response=shapes.TokenResponse,
    body=shapes.OAuthTokenRequest,
    form=True,
    oauth=True,
    errors=(400, 401, 409, 503),
    secured=False,
    example=shapes.TOKEN_EXAMPLE,
    request_example=shapes.OAuthTokenRequest("client_credentials", "notifications:send"),
)
REVOKE = Operation(
    "POST",
    "/oauth/revoke",
    "revokeClientToken",
    "RFC 7009: a client revokes a token issued to it; 200 also for a token that is unknown"
    " or no longer valid",
    OAUTH,
    body=shapes.OAuthRevokeRequest,
    form=True,
    oauth=True,
    errors=(400, 401, 503),
    secured=False,
    request_example=shapes.OAuthRevokeRequest(shapes.EXAMPLE_JWT),
)
METADATA = Operation(
    "GET",
    "/.well-known/oauth-authorization-server",
    "getAuthorizationServerMetadata",
    "RFC 8414 metadata: the endpoints, auth methods and every scope (operator's included)",
    OAUTH,
    response=shapes.Metadata,
    secured=False,
    cached=True,
    max_age=300,
    example=shapes.METADATA_EXAMPLE,
)


def metadata(settings: Settings, policy: ClientPolicy, base: str) -> shapes.Metadata:
    methods = list(shapes.AUTH_METHODS)
    return shapes.Metadata(
        issuer=settings.jwt_issuer,
        token_endpoint=base + TOKEN.path,
        jwks_uri=base + "/.well-known/jwks.json",
        revocation_endpoint=base + REVOKE.path,
        introspection_endpoint=base + introspection_routes.OAUTH.path,
        grant_types_supported=["client_credentials"],
        token_endpoint_auth_methods_supported=methods,
        revocation_endpoint_auth_methods_supported=methods,
        introspection_endpoint_auth_methods_supported=methods,
        scopes_supported=list(policy.scopes),
        response_types_supported=[],
    )


@attrs.define
class OAuthEndpoints:
    """The handlers of the OAuth endpoints, over what the container gives them."""

    settings: Settings
    policy: ClientPolicy
    clients: ClientAuthentication
    issue: IssueClientToken
    revoke: RevokeClientToken
    known: BoundedCache[str, Any] = attrs.field(  # base URL -> metadata
        factory=lambda: BoundedCache("oauth_metadata", MAX_KEPT_BASES)
    )

    async def token(self, request: Request) -> Response:
        """Errors are raised: the edge answers them in the RFC 6749 §5.2 format, or as the
        problem of a domain error (409, 429, 503). Each answer is counted, issued or refused,
        whatever refused it."""
        issued = False
        try:
            form = await read_form(request)
            grant_type = form.get("grant_type")
            if grant_type is None:
                raise invalid_request("grant_type is required")
            client = await self.clients.client_of(request, form)
            if grant_type != "client_credentials":
                raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
            token = self.issue(client, form.get("scope"))
            issued = True
        finally:
            metrics.record_client_credentials_grant(issued=issued)
        body = shapes.TokenResponse(token.access_token, "Bearer", token.expires_in, token.scope)
        return json_of(body, headers=NO_STORE)

    async def revocation(self, request: Request) -> Response:
        form = await read_form(request)
        token = form.get("token")
        if token is None:
            raise invalid_request("token is required")
        client = await self.clients.client_of(request, form)
        await self.revoke(client, token, client_address(request))
        return Response(status_code=200, headers=NO_STORE)

    async def metadata(self, request: Request) -> Response:
        base = self.settings.public_url or str(request.base_url).rstrip("/")
        found = self.known.get(base)
        if found is None:
            found = msgspec.to_builtins(metadata(self.settings, self.policy, base))
            if len(base) <= MAX_KEPT_BASE:
                self.known.put(base, found)
        return cached_json(request, found, max_age=METADATA.max_age)


def routes(container: punq.Container, clients: ClientAuthentication) -> list[Endpoint]:
    oauth = OAuthEndpoints(
        container.resolve(Settings),
        container.resolve(ClientPolicy),
        clients,
        container.resolve(IssueClientToken),
        container.resolve(RevokeClientToken),
    )
    return [
        Endpoint(TOKEN, oauth.token),
        Endpoint(REVOKE, oauth.revocation),
        Endpoint(METADATA, oauth.metadata),
    ]
