"""HTTP routes of the auth capability."""

import punq
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from application.auth.events import ListAuthEvents
from application.auth.introspect import Introspect
from application.auth.login import Login
from application.auth.refresh import Refresh
from application.auth.revoke import Logout, RevokeToken
from application.auth.tokens import VerifyToken
from domain.errors import ValidationError
from domain.ports import PublicKeys
from domain.times import rfc3339
from domain.tokens import TokenPair
from entrypoints.http.caching import cached_json
from entrypoints.http.requests import (
    authenticate,
    client_address,
    form_or_json,
    int_param,
    json_object,
    strings,
)

# Verifiers refetch at once on an unknown `kid` (PyJWKClient does), so a new key is
# picked up without waiting for this to run out.
JWKS_MAX_AGE = 300


def _pair(pair: TokenPair) -> JSONResponse:
    return JSONResponse(
        {
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "token_type": "Bearer",
            "expires_in": pair.expires_in,
            "refresh_expires_in": pair.refresh_expires_in,
        },
        headers={"Cache-Control": "no-store"},
    )


def routes(container: punq.Container) -> list[Route]:
    verify: VerifyToken = container.resolve(VerifyToken)
    login: Login = container.resolve(Login)
    refresh: Refresh = container.resolve(Refresh)
    logout: Logout = container.resolve(Logout)
    revoke: RevokeToken = container.resolve(RevokeToken)
    list_events: ListAuthEvents = container.resolve(ListAuthEvents)
    keys: PublicKeys = container.resolve(PublicKeys)
    introspect: Introspect = container.resolve(Introspect)

    async def jwks_endpoint(request: Request) -> Response:
        return cached_json(request, keys.jwks(), max_age=JWKS_MAX_AGE)

    async def login_endpoint(request: Request) -> Response:
        username, password = strings(await json_object(request), "username", "password")
        return _pair(await login(username, password, client_address(request)))

    async def refresh_endpoint(request: Request) -> Response:
        (token,) = strings(await json_object(request), "refresh_token")
        return _pair(await refresh(token, client_address(request)))

    async def logout_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        body = await json_object(request, optional=True)
        refresh_token = body.get("refresh_token")
        if refresh_token is not None and not isinstance(refresh_token, str):
            raise ValidationError.single("refresh_token", "must be a string")
        await logout(caller, client_address(request), refresh_token)
        return Response(status_code=204)

    async def introspect_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        (token,) = strings(await form_or_json(request), "token")
        claims = await introspect(caller, token)
        body: dict[str, object] = {"active": False}
        if claims is not None:
            body = {
                "active": True,
                "sub": claims.sub,
                "token_type": claims.type.value,
                "exp": claims.exp,
                "iat": int(claims.iat),
                "jti": claims.jti,
                "iss": claims.iss,
                "roles": sorted(claims.roles),
            }
            if claims.aud is not None:
                body["aud"] = claims.aud
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def me_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        return JSONResponse({"username": caller.sub, "roles": sorted(caller.roles)})

    async def revoke_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        (token,) = strings(await json_object(request), "token")
        await revoke(caller, token, client_address(request))
        return Response(status_code=204)

    async def events_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        events = await list_events(caller, int_param(request, "limit", 50))
        items = [
            {
                "type": e.type.value,
                "username": e.username,
                "at": rfc3339(e.at),
                "client": e.client,
                "actor": e.actor,
            }
            for e in events
        ]
        return JSONResponse({"items": items})

    return [
        Route("/.well-known/jwks.json", jwks_endpoint, methods=["GET"]),
        Route("/api/auth/login", login_endpoint, methods=["POST"]),
        Route("/api/auth/refresh", refresh_endpoint, methods=["POST"]),
        Route("/api/auth/logout", logout_endpoint, methods=["POST"]),
        Route("/api/auth/introspect", introspect_endpoint, methods=["POST"]),
        Route("/api/auth/me", me_endpoint, methods=["GET"]),
        Route("/api/auth/revoke", revoke_endpoint, methods=["POST"]),
        Route("/api/auth/events", events_endpoint, methods=["GET"]),
    ]
