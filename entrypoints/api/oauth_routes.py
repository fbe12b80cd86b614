"""The OAuth 2.0 authorization server for machines: the token endpoint (RFC 6749 §4.4,
client credentials), revocation (RFC 7009), introspection (RFC 7662) and the server's
metadata (RFC 8414). Errors are RFC 6749 §5.2 JSON, the format OAuth clients parse."""

from typing import Any

import msgspec
import punq
from starlette.requests import Request
from starlette.responses import Response

from application.auth.grant import AuthenticateClient, IssueClientToken
from application.auth.introspect import Introspect
from application.auth.oauth_revoke import RevokeClientToken
from application.auth.tokens import VerifyToken
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


def routes(container: punq.Container) -> list[Endpoint]:
    settings: Settings = container.resolve(Settings)
    policy: ClientPolicy = container.resolve(ClientPolicy)
    authenticate: AuthenticateClient = container.resolve(AuthenticateClient)
    issue: IssueClientToken = container.resolve(IssueClientToken)
    revoke: RevokeClientToken = container.resolve(RevokeClientToken)
    introspect: Introspect = container.resolve(Introspect)
    verify: VerifyToken = container.resolve(VerifyToken)
    limit = FailedClientAuth(
        container.resolve(CheckRateLimits),
        quota(settings.login_rate_limit),
        container.resolve(Clock),
    )
    known: dict[str, Any] = {}  # base URL -> metadata (at most a few: one per host name)

    async def client_of(request: Request, form: dict[str, str]) -> Client:
        """The authenticated client; failures count against the login limit."""
        credentials: Presented | None = presented(request, form)
        if credentials is None:
            raise InvalidClientError(basic=True, description="client authentication is required")
        key = limit.key(request, credentials.client_id)
        limit.refuse_if_blocked(key)
        try:
            return await authenticate(
                credentials.client_id,
                credentials.secret,
                client_address(request),
                credentials.basic,
                allow_disabled=True,
            )
        except InvalidClientError:
            await limit.count(key)
            raise

    async def token_endpoint(request: Request) -> Response:
        try:
            form = await read_form(request)
            grant_type = form.get("grant_type")
            if grant_type is None:
                raise invalid_request("grant_type is required")
            client = await client_of(request, form)
            if grant_type != "client_credentials":
                raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
            token = issue(client, form.get("scope"))
        except OAuthError as e:
            metrics.record_grant(e.error)
            return oauth_error(e)
        metrics.record_grant("issued")
        body = shapes.TokenResponse(token.access_token, "Bearer", token.expires_in, token.scope)
        return json_of(body, headers=NO_STORE)

    async def revoke_endpoint(request: Request) -> Response:
        try:
            form = await read_form(request)
            token = form.get("token")
            if token is None:
                raise invalid_request("token is required")
            client = await client_of(request, form)
            await revoke(client, token, client_address(request))
        except OAuthError as e:
            return oauth_error(e)
        return Response(status_code=200, headers=NO_STORE)

    async def introspect_endpoint(request: Request) -> Response:
        try:
            form = await read_form(request)
            token = form.get("token")
            if token is None:
                raise invalid_request("token is required")
            caller = await introspecting_caller(request, form)
        except OAuthError as e:
            return oauth_error(e)
        claims = await introspect(caller, token)
        return json_of(introspection_view(claims), headers=NO_STORE)

    async def introspecting_caller(request: Request, form: dict[str, str]) -> TokenClaims:
        """A bearer token (judged as on /api/auth/introspect), else client authentication by
        a client holding tokens:introspect, seen as its own token would be."""
        bearer = parse_bearer(request.headers.get("authorization", ""))
        if bearer is not None:
            try:
                caller = await verify(bearer)
            except InvalidTokenError as e:
                raise InvalidClientError(False, f"the bearer token is not valid: {e}") from e
            if caller.client_id is not None and INTROSPECT_SCOPE not in caller.scopes:
                raise OAuthError("invalid_client", f"the client lacks {INTROSPECT_SCOPE}")
            return caller
        client = await client_of(request, form)
        if client.disabled or INTROSPECT_SCOPE not in client.scopes:
            raise InvalidClientError(False, f"the client lacks {INTROSPECT_SCOPE}")
        return client_caller(client)

    async def metadata_endpoint(request: Request) -> Response:
        base = settings.public_url or str(request.base_url).rstrip("/")
        found = known.get(base)
        if found is None:
            if len(known) >= 16:
                known.clear()
            found = known[base] = msgspec.to_builtins(metadata(settings, policy, base))
        return cached_json(request, found, max_age=METADATA.max_age)

    return [
        Endpoint(TOKEN, token_endpoint),
        Endpoint(REVOKE, revoke_endpoint),
        Endpoint(INTROSPECT, introspect_endpoint),
        Endpoint(METADATA, metadata_endpoint),
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
