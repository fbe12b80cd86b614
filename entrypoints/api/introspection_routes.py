"""Token introspection (RFC 7662), one handler served at two paths: `/oauth/introspect`, the
OAuth endpoint (form only, request errors as RFC 6749 §5.2), and `/api/auth/introspect`, an
API route (JSON or form, request errors as problems). Either takes a bearer token (a user of
role service or admin, or a client's token with tokens:introspect) or a client's own
credentials (HTTP Basic or in the form body, the one client authentication of
oauth_client_auth.py), and a client needs tokens:introspect whichever way it comes."""

import msgspec
import punq
from starlette.requests import Request
from starlette.responses import Response

from application.auth.introspect import Introspect
from application.auth.tokens import VerifyToken
from domain.clients import scope_text
from domain.tokens import TokenClaims, TokenType
from entrypoints.api import auth_shapes as shapes
from entrypoints.api.oauth_client_auth import ClientAuthentication, invalid_request, read_form
from entrypoints.http.contract import Endpoint, Operation, json_of
from entrypoints.http.problems import OAUTH_NO_STORE

SCOPE = "tokens:introspect"
WHO = (
    " A bearer token (role service or admin, or a client's token with tokens:introspect) or"
    " a client holding tokens:introspect with its credentials (HTTP Basic, or client_id and"
    " client_secret in the form body)."
)
API = Operation(
    "POST",
    "/api/auth/introspect",
    "introspectToken",
    "RFC 7662 introspection: is this token live? Answered from memory; anything not live is"
    ' {"active": false} and nothing else.' + WHO,
    "auth",
    scope=SCOPE,
    client_auth=True,
    response=shapes.Introspection,
    body=shapes.IntrospectRequest,
    form=True,
    errors=(400, 403, 413, 422),
    example=shapes.INTROSPECTION_EXAMPLE,
    request_example=shapes.IntrospectRequest(shapes.EXAMPLE_JWT),
)
OAUTH = Operation(
    "POST",
    "/oauth/introspect",
    "introspectOAuthToken",
    "RFC 7662 introspection, as /api/auth/introspect answers it; errors of the request and of"
    " client authentication as RFC 6749 §5.2." + WHO,
    "oauth",
    scope=SCOPE,
    client_auth=True,
    oauth=True,
    response=shapes.Introspection,
    body=shapes.IntrospectRequest,
    form=True,
    errors=(400, 403),
    example=shapes.INTROSPECTION_EXAMPLE,
    request_example=shapes.IntrospectRequest(shapes.EXAMPLE_JWT),
)


def introspection_view(claims: TokenClaims | None) -> shapes.Introspection:
    """RFC 7662 §2.2: `token_type` is an RFC 6749 §5.1 type (Bearer, for every access token;
    a refresh token has none), `username` the resource owner (a user, never a client),
    `client_id` and `scope` a client's; `token_use` and `roles` are Ballast's own members."""
    if claims is None:
        return shapes.Introspection(active=False)
    access = claims.type is TokenType.ACCESS
    client = claims.client_id is not None
    return shapes.Introspection(
        active=True,
        scope=scope_text(claims.scopes) if client else msgspec.UNSET,
        client_id=msgspec.UNSET if claims.client_id is None else claims.client_id,
        username=msgspec.UNSET if client else claims.sub,
        token_type="Bearer" if access else msgspec.UNSET,
        exp=claims.exp,
        iat=int(claims.iat),
        sub=claims.sub,
        aud=msgspec.UNSET if claims.aud is None else claims.aud,
        iss=claims.iss,
        jti=claims.jti,
        token_use="access_token" if access else "refresh_token",
        roles=msgspec.UNSET if client else sorted(claims.roles),
    )


async def oauth_token(request: Request) -> str:
    """The `token` of an OAuth endpoint's form (RFC 6749 §5.2 invalid_request without)."""
    token = (await read_form(request)).get("token")
    if token is None:
        raise invalid_request("token is required")
    return token


def routes(container: punq.Container, clients: ClientAuthentication) -> list[Endpoint]:
    introspect: Introspect = container.resolve(Introspect)
    verify: VerifyToken = container.resolve(VerifyToken)

    async def introspection(
        request: Request, caller: TokenClaims, body: shapes.IntrospectRequest | None = None
    ) -> Response:
        """Both paths: the caller is authenticated and its scope checked (contract.py)
        before this runs; the OAuth path's form is read here, the other's body decoded."""
        token = body.token if body is not None else await oauth_token(request)
        claims = await introspect(caller, token)
        return json_of(introspection_view(claims), headers=OAUTH_NO_STORE)

    return [
        Endpoint(API, introspection, verify, clients.caller),
        Endpoint(OAUTH, introspection, verify, clients.caller),
    ]
