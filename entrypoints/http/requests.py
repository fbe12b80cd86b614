"""Reading requests: JSON bodies, fields, bearer tokens, the client's address."""

import json
from typing import Any

from starlette.requests import Request
from starlette.types import Scope

from application.auth.tokens import VerifyToken
from domain.errors import BallastError, FieldError, MissingTokenError, ValidationError
from domain.tokens import TokenClaims
from entrypoints.http.problems import MalformedBodyError


async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if optional and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise MalformedBodyError("request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise MalformedBodyError("request body must be a JSON object")
    return body


def strings(body: dict[str, Any], *names: str) -> list[str]:
    """The named fields, each a required string; all problems reported at once."""
    errors = [
        FieldError(name, "is required" if name not in body else "must be a string")
        for name in names
        if not isinstance(body.get(name), str)
    ]
    if errors:
        raise ValidationError(errors)
    return [body[name] for name in names]


def parse_bearer(header: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def scope_bearer(scope: Scope) -> str | None:
    """The bearer token of the request's (first) Authorization header, or None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return parse_bearer(value.decode("latin-1"))
    return None


# Where the outcome of verifying a request's token is kept: the claims or the error.
VERIFIED = "ballast.verified"


async def authenticate_scope(scope: Scope, verify: VerifyToken) -> TokenClaims:
    """The request's access token, verified once per request: whoever asks first (the rate
    limiter, for its client key) verifies, and the route reuses the outcome."""
    outcome: TokenClaims | BallastError | None = scope.get(VERIFIED)
    if outcome is None:
        token = scope_bearer(scope)
        if token is None:
            outcome = MissingTokenError()
        else:
            try:
                outcome = await verify(token)
            except BallastError as e:
                outcome = e
        scope[VERIFIED] = outcome
    if isinstance(outcome, BallastError):
        raise outcome
    return outcome


async def authenticate(request: Request, verify: VerifyToken) -> TokenClaims:
    return await authenticate_scope(request.scope, verify)


def client_address(request: Request) -> str:
    """Set by the proxy-aware middleware when present; else the socket peer."""
    forwarded: str | None = request.scope.get("ballast.client")
    if forwarded:
        return forwarded
    return request.client.host if request.client else "unknown"


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValidationError.single(name, "must be a whole number") from None
