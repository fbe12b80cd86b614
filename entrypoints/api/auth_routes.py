"""HTTP routes of the auth capability."""

import punq
from starlette.requests import Request
from starlette.responses import Response

from application.auth.events import ListAuthEvents
from application.auth.login import Login
from application.auth.refresh import Refresh
from application.auth.revoke import Logout, RevokeToken
from application.auth.tokens import VerifyToken
from domain.ports import PublicKeys
from domain.times import rfc3339
from domain.tokens import TokenClaims, TokenPair
from entrypoints.api import auth_shapes as shapes
from entrypoints.http.caching import cached_json
from entrypoints.http.contract import Endpoint, Operation, json_of
from entrypoints.http.requests import client_address

NO_STORE = {"Cache-Control": "no-store"}
AUTH = "auth"
JWKS = Operation(
    "GET",
    "/.well-known/jwks.json",
    "getJwks",
    "The public keys that verify Ballast's tokens, current and previous (empty under HS256)",
    AUTH,
    response=shapes.Jwks,
    secured=False,
    cached=True,
    # Verifiers refetch at once on an unknown `kid` (PyJWKClient does), so a new key is
    # picked up without waiting for this to run out.
    max_age=300,
    example=shapes.JWKS_EXAMPLE,
)
LOGIN = Operation(
    "POST",
    "/api/auth/login",
    "login",
    "Log in with a password; returns an access and a refresh token",
    AUTH,
    response=shapes.TokenPair,
    body=shapes.Credentials,
    errors=(400, 401, 413, 422, 503),
    secured=False,
    example=shapes.PAIR_EXAMPLE,
    request_example=shapes.Credentials("alice", "correct horse battery staple"),
)
REFRESH = Operation(
    "POST",
    "/api/auth/refresh",
    "refreshTokens",
    "Trade a refresh token (used up) for a new pair; reuse revokes the family",
    AUTH,
    response=shapes.TokenPair,
    body=shapes.RefreshRequest,
    errors=(400, 401, 413, 422, 503),
    secured=False,
    example=shapes.PAIR_EXAMPLE,
    request_example=shapes.RefreshRequest(shapes.EXAMPLE_JWT),
)
LOGOUT = Operation(
    "POST",
    "/api/auth/logout",
    "logout",
    "Revoke the access token and its refresh family",
    AUTH,
    ok=204,
    body=shapes.LogoutRequest,
    body_required=False,
    errors=(400, 413, 422, 503),
    request_example=shapes.LogoutRequest(shapes.EXAMPLE_JWT),
)
ME = Operation(
    "GET",
    "/api/auth/me",
    "whoAmI",
    "The caller's username and roles",
    AUTH,
    response=shapes.Me,
    example=shapes.ME_EXAMPLE,
)
REVOKE = Operation(
    "POST",
    "/api/auth/revoke",
    "revokeToken",
    "Revoke any token (admin); 404 when it is not a live token of this service",
    AUTH,
    ok=204,
    body=shapes.RevokeRequest,
    errors=(400, 403, 404, 413, 422, 503),
    request_example=shapes.RevokeRequest(shapes.EXAMPLE_JWT),
)
EVENTS = Operation(
    "GET",
    "/api/auth/events",
    "listAuthEvents",
    "Auth events, newest first, a page at a time (admin)",
    AUTH,
    scope="events:read",
    response=shapes.AuthEvents,
    errors=(403, 422, 503),
    query=shapes.EventsQuery,
    example=shapes.EVENTS_EXAMPLE,
)


def _pair(pair: TokenPair) -> Response:
    view = shapes.TokenPair(
        pair.access_token, pair.refresh_token, "Bearer", pair.expires_in, pair.refresh_expires_in
    )
    return json_of(view, headers=NO_STORE)


def routes(container: punq.Container) -> list[Endpoint]:
    verify: VerifyToken = container.resolve(VerifyToken)
    login: Login = container.resolve(Login)
    refresh: Refresh = container.resolve(Refresh)
    logout: Logout = container.resolve(Logout)
    revoke: RevokeToken = container.resolve(RevokeToken)
    list_events: ListAuthEvents = container.resolve(ListAuthEvents)
    keys: PublicKeys = container.resolve(PublicKeys)

    async def jwks_endpoint(request: Request) -> Response:
        return cached_json(request, keys.jwks(), max_age=JWKS.max_age)

    async def login_endpoint(request: Request, body: shapes.Credentials) -> Response:
        return _pair(await login(body.username, body.password, client_address(request)))

    async def refresh_endpoint(request: Request, body: shapes.RefreshRequest) -> Response:
        return _pair(await refresh(body.refresh_token, client_address(request)))

    async def logout_endpoint(
        request: Request, caller: TokenClaims, body: shapes.LogoutRequest
    ) -> Response:
        await logout(caller, client_address(request), body.refresh_token)
        return Response(status_code=204)

    async def me_endpoint(request: Request, caller: TokenClaims) -> Response:
        return json_of(shapes.Me(caller.sub, sorted(caller.roles)))

    async def revoke_endpoint(
        request: Request, caller: TokenClaims, body: shapes.RevokeRequest
    ) -> Response:
        await revoke(caller, body.token, client_address(request))
        return Response(status_code=204)

    async def events_endpoint(
        request: Request, caller: TokenClaims, query: shapes.EventsQuery
    ) -> Response:
        page = await list_events(caller, query.limit, query.cursor)
        items = [
            shapes.AuthEventView(e.type, e.username, rfc3339(e.at), e.client, e.actor)
            for e in page.items
        ]
        return json_of(shapes.AuthEvents(items, page.next_cursor))

    return [
        Endpoint(JWKS, jwks_endpoint),
        Endpoint(LOGIN, login_endpoint),
        Endpoint(REFRESH, refresh_endpoint),
        Endpoint(LOGOUT, logout_endpoint, verify),
        Endpoint(ME, me_endpoint, verify),
        Endpoint(REVOKE, revoke_endpoint, verify),
        Endpoint(EVENTS, events_endpoint, verify),
    ]
