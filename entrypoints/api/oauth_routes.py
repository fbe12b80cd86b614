"""The OAuth 2.0 authorization server for machines: the token endpoint (RFC 6749 §4.4,
client credentials), revocation (RFC 7009), introspection (RFC 7662) and the server's
metadata (RFC 8414). Errors are RFC 6749 §5.2 JSON, the format OAuth clients parse."""

from typing import Any

import attrs
import msgspec
import punq
from starlette.requests import Request
from starlette.responses import Response

from application.auth.grant import AuthenticateClient, IssueClientToken
from application.auth.introspect import Introspect
from application.auth.oauth_revoke import RevokeClientToken
from application.auth.tokens import VerifyToken
from application.bounded_cache import BoundedCache
from application.rate_limits import CheckRateLimits
from domain.clients import Client, ClientPolicy
from domain.errors import InvalidClientError, InvalidTokenError, OAuthError
from domain.ports import Clock
from domain.tokens import TokenClaims, TokenType
from entrypoints import metrics
from entrypoints.api import auth_shapes
from entrypoints.api import oauth_shapes as shapes
from entrypoints.api.auth_routes import introspection_view
from entrypoints.api.oauth_client_auth import (
    FailedClientAuth,
    Presented,
    invalid_request,
    presented,
    read_form,
)
from entrypoints.http.caching import cached_json
from entrypoints.http.contract import Endpoint, Operation, json_of
from entrypoints.http.rate_limiting import quota
from entrypoints.http.requests import client_address, parse_bearer
from entrypoints.settings import Settings

OAUTH = "oauth"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
REALM = 'Basic realm="ballast"'
INTROSPECT_SCOPE = "tokens:introspect"
TOKEN = Operation(
    "POST",
    "/oauth/token",
    "getClientToken",
    "Client-credentials grant (RFC 6749 §4.4): an RFC 9068 access token for a client that"
    " authenticates with HTTP Basic or in the body; errors as RFC 6749 §5.2",
    OAUTH,
    response=shapes.TokenResponse,
    body=shapes.OAuthTokenRequest,
    form=True,
    oauth=True,
    errors=(400, 401, 503),
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
INTROSPECT = Operation(
    "POST",
    "/oauth/introspect",
    "introspectOAuthToken",
    "RFC 7662 introspection for a client holding tokens:introspect (client authentication)"
    " or a bearer token allowed to introspect",
    OAUTH,
    response=auth_shapes.Introspection,
    body=shapes.OAuthIntrospectRequest,
    form=True,
    oauth=True,
    errors=(400, 401, 403),
    secured=False,
    example=auth_shapes.INTROSPECTION_EXAMPLE,
    request_example=shapes.OAuthIntrospectRequest(shapes.EXAMPLE_JWT),
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


def oauth_error(error: OAuthError) -> Response:
    """RFC 6749 §5.2: 400, or 401 for invalid_client (naming Basic when it was used)."""
    body = shapes.OAuthErrorBody(error.error, error.description)  # type: ignore[arg-type]
    headers = dict(NO_STORE)
    if isinstance(error, InvalidClientError) and error.basic:
        headers["WWW-Authenticate"] = REALM
    return json_of(body, status=error.status, headers=headers)


def metadata(settings: Settings, policy: ClientPolicy, base: str) -> shapes.Metadata:
    methods = list(shapes.AUTH_METHODS)
    return shapes.Metadata(
        issuer=settings.jwt_issuer,
        token_endpoint=base + TOKEN.path,
        jwks_uri=base + "/.well-known/jwks.json",
        revocation_endpoint=base + REVOKE.path,
        introspection_endpoint=base + INTROSPECT.path,
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
    authenticate: AuthenticateClient
    issue: IssueClientToken
    revoke: RevokeClientToken
    introspect: Introspect
    verify: VerifyToken
    limit: FailedClientAuth
    # base URL -> metadata (one per host name clients use: a few)
    known: BoundedCache[str, Any] = attrs.field(factory=lambda: BoundedCache("oauth_metadata", 16))

    async def client_of(self, request: Request, form: dict[str, str]) -> Client:
        """The authenticated client; failures count against the login limit."""
        credentials: Presented | None = presented(request, form)
        if credentials is None:
            raise InvalidClientError(basic=True, description="client authentication is required")
        key = self.limit.key(request, credentials.client_id)
        self.limit.refuse_if_blocked(key)
        try:
            return await self.authenticate(
                credentials.client_id,
                credentials.secret,
                client_address(request),
                credentials.basic,
                allow_disabled=True,
            )
        except InvalidClientError:
            await self.limit.count(key)
            raise

    async def token(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            grant_type = form.get("grant_type")
            if grant_type is None:
                raise invalid_request("grant_type is required")
            client = await self.client_of(request, form)
            if grant_type != "client_credentials":
                raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
            token = self.issue(client, form.get("scope"))
        except OAuthError as e:
            metrics.record_client_credentials_grant(issued=False)
            return oauth_error(e)
        metrics.record_client_credentials_grant(issued=True)
        body = shapes.TokenResponse(token.access_token, "Bearer", token.expires_in, token.scope)
        return json_of(body, headers=NO_STORE)

    async def revocation(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            token = form.get("token")
            if token is None:
                raise invalid_request("token is required")
            client = await self.client_of(request, form)
            await self.revoke(client, token, client_address(request))
        except OAuthError as e:
            return oauth_error(e)
        return Response(status_code=200, headers=NO_STORE)

    async def introspection(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            token = form.get("token")
            if token is None:
                raise invalid_request("token is required")
            caller = await self.introspecting_caller(request, form)
        except OAuthError as e:
            return oauth_error(e)
        claims = await self.introspect(caller, token)
        return json_of(introspection_view(claims), headers=NO_STORE)

    async def introspecting_caller(self, request: Request, form: dict[str, str]) -> TokenClaims:
        """A bearer token (judged as on /api/auth/introspect), else client authentication by
        a client holding tokens:introspect, seen as its own token would be."""
        bearer = parse_bearer(request.headers.get("authorization", ""))
        if bearer is not None:
            try:
                caller = await self.verify(bearer)
            except InvalidTokenError as e:
                raise InvalidClientError(False, f"the bearer token is not valid: {e}") from e
            if caller.client_id is not None and INTROSPECT_SCOPE not in caller.scopes:
                raise OAuthError("invalid_client", f"the client lacks {INTROSPECT_SCOPE}")
            return caller
        client = await self.client_of(request, form)
        if client.disabled or INTROSPECT_SCOPE not in client.scopes:
            raise InvalidClientError(False, f"the client lacks {INTROSPECT_SCOPE}")
        return client_caller(client)

    async def metadata(self, request: Request) -> Response:
        base = self.settings.public_url or str(request.base_url).rstrip("/")
        found = self.known.get(base)
        if found is None:
            found = msgspec.to_builtins(metadata(self.settings, self.policy, base))
            self.known.put(base, found)
        return cached_json(request, found, max_age=METADATA.max_age)


def routes(container: punq.Container) -> list[Endpoint]:
    settings: Settings = container.resolve(Settings)
    limit = FailedClientAuth(
        container.resolve(CheckRateLimits),
        quota(settings.login_rate_limit),
        container.resolve(Clock),
    )
    oauth = OAuthEndpoints(
        settings,
        container.resolve(ClientPolicy),
        container.resolve(AuthenticateClient),
        container.resolve(IssueClientToken),
        container.resolve(RevokeClientToken),
        container.resolve(Introspect),
        container.resolve(VerifyToken),
        limit,
    )
    return [
        Endpoint(TOKEN, oauth.token),
        Endpoint(REVOKE, oauth.revocation),
        Endpoint(INTROSPECT, oauth.introspection),
        Endpoint(METADATA, oauth.metadata),
    ]


def client_caller(client: Client) -> TokenClaims:
    """An authenticated client as a caller of a use case (as its token would make it)."""
    return TokenClaims(
        sub=client.client_id,
        jti="",
        iat=0.0,
        exp=0,
        iss="",
        type=TokenType.ACCESS,
        roles=frozenset(),
        fam="",
        client_id=client.client_id,
        scopes=client.scopes,
    )
