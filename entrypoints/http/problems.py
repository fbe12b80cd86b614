"""RFC 9457 problem details: every error response, and the one table mapping errors to them.
The one exception: an OAuth error (RFC 6749 §5.2) is answered in the format OAuth clients
parse, wherever it is met."""

import logging
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from domain.errors import (
    BallastError,
    ClientsRefusedError,
    ConfiguredClientError,
    ConfiguredUserError,
    ConflictError,
    DependencyUnavailableError,
    ForbiddenError,
    InsufficientScopeError,
    InvalidClientError,
    InvalidCredentialsError,
    InvalidTokenError,
    InvalidTransitionError,
    MissingTokenError,
    NotFoundError,
    OAuthError,
    RateLimitedError,
    RatesUnavailableError,
    ValidationError,
)
from entrypoints.http.json_body import JsonResponse
from entrypoints.http.request_state import KEY, RequestState

log = logging.getLogger("ballast.http")
# Each type is a page Ballast serves (problem_types.py), referenced relative to the request.
PROBLEM_TYPE = "/problems/"
OAUTH_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_REALM = 'Basic realm="ballast"'


class ProblemResponse(JsonResponse):
    media_type = "application/problem+json"


class MalformedBodyError(BallastError):
    """The body, or the Content-Length announcing it, cannot be read as asked (400)."""


class ClientDisconnectedError(MalformedBodyError):
    """The connection ended before the body was whole: the client closed it, or broke the
    body's framing (a bad chunk) and the server closed it. The client's doing: a 400 that
    no one reads, logged as a request like any other, never as an error."""

    def __init__(self) -> None:
        super().__init__("the connection ended before the request body was whole")


class UnsupportedMediaTypeError(BallastError):
    """The body is sent as a media type (Content-Type) the operation does not take (415)."""

    def __init__(self, sent: str, taken: tuple[str, ...]) -> None:
        super().__init__(
            f"the body is sent as {sent or 'no Content-Type'}; this operation takes"
            f" {' or '.join(taken)}"
        )


class BodyTooLargeError(BallastError):
    """The body is over the size limit (413)."""


def problem(
    status: int,
    slug: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body = {
        "type": PROBLEM_TYPE + slug,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


# error class -> (status, problem slug); the first matching class wins.
STATUS: list[tuple[type[BallastError], int, str]] = [
    (MalformedBodyError, 400, "malformed-body"),
    (MissingTokenError, 401, "missing-token"),
    (InvalidTokenError, 401, "invalid-token"),
    (InvalidCredentialsError, 401, "invalid-credentials"),
    (InsufficientScopeError, 403, "insufficient-scope"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not-found"),
    (ConflictError, 409, "conflict"),
    (ConfiguredUserError, 409, "user-defined-by-configuration"),
    (ConfiguredClientError, 409, "user-defined-by-configuration"),
    (ClientsRefusedError, 409, "https-issuer-required"),
    (InvalidTransitionError, 409, "invalid-transition"),
    (BodyTooLargeError, 413, "body-too-large"),
    (UnsupportedMediaTypeError, 415, "unsupported-media-type"),
    (ValidationError, 422, "validation"),
    (RateLimitedError, 429, "rate-limited"),
    (DependencyUnavailableError, 503, "dependency-unavailable"),
    # Normally absorbed by the rates service (it serves its last good table).
    (RatesUnavailableError, 503, "rates-unavailable"),
]


# Starlette's own errors (any other status is "http").
HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed"}


# A feed's failure is the operator's (logged), not the caller's: say what it means for them.
RATES_DETAIL = "exchange rates are unavailable; try again later"


def _headers(error: BallastError) -> dict[str, str]:
    if isinstance(error, InvalidTokenError):
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if isinstance(error, InsufficientScopeError):
        scope = f', scope="{error.scope}"' if error.scope else ""
        return {"WWW-Authenticate": f'Bearer error="insufficient_scope"{scope}'}
    if isinstance(error, MissingTokenError | InvalidCredentialsError):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, RateLimitedError | DependencyUnavailableError):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, BodyTooLargeError):
        # What is left of the body was never read: the connection cannot serve another request.
        return {"Connection": "close"}
    return {}


def oauth_error(error: OAuthError) -> JsonResponse:
    """RFC 6749 §5.2 JSON, never cached: 400, or 401 for invalid_client (naming the realm
    when the client used HTTP Basic)."""
    body = {"error": error.error, "error_description": error.description}
    headers = dict(OAUTH_NO_STORE)
    if isinstance(error, InvalidClientError) and error.basic:
        headers["WWW-Authenticate"] = BASIC_REALM
    return JsonResponse(body, error.status, headers)


def from_error(error: BallastError) -> JsonResponse:
    if isinstance(error, OAuthError):
        return oauth_error(error)
    for cls, status, slug in STATUS:
        if isinstance(error, cls):
            extra: dict[str, Any] = {}
            if isinstance(error, ValidationError):
                extra["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
            detail = RATES_DETAIL if isinstance(error, RatesUnavailableError) else str(error)
            return problem(status, slug, detail, _headers(error), **extra)
    log.error("event=unmapped_error error=%s", type(error).__name__)
    return problem(500, "internal", "internal error")


def answer(request: Request, exc: BallastError | HTTPException) -> Response:
    """The problem response for an error a request can meet: a domain error, or Starlette's
    404 and 405 (unexpected errors are `handle_unexpected`'s)."""
    if isinstance(exc, BallastError):
        return from_error(exc)
    slug = HTTP_SLUGS.get(exc.status_code, "http")
    detail = exc.detail if exc.status_code not in (404, 405) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = f"no route for {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem(exc.status_code, slug, str(detail), headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path supports, across all the routes that serve it
    (Starlette names only the first route's in a 405; RFC 9110 asks for all of them)."""
    router = request.scope.get("router")
    path = route_path(request.scope)
    methods: set[str] = set()
    for route in getattr(router, "routes", ()):
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    return sorted(methods)


def route_path(scope: Scope) -> str:
    """The path the routes match: the request's, less the app's root path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Last resort: a 500 problem without internals; the traceback goes to the log only."""
    # Met outside the edge (which has ended the request's context): its id named here.
    log.error(
        "event=unhandled_error method=%s path=%s error=%s request_id=%s",
        request.method[:16],
        request.url.path[:128],
        type(exc).__name__,
        _request_id(request.scope),
        exc_info=exc,
    )
    return problem(500, "internal", "internal error")


def _request_id(scope: Scope) -> str:
    """The id the edge gave the request ("" for one that never met the edge)."""
    state: RequestState | None = scope.get(KEY)
    return "" if state is None else state.request_id
