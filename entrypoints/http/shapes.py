"""Shapes every operation shares: problem details, rate limit and caching headers."""

from typing import Annotated, Any, Literal

import attrs
import msgspec

from entrypoints.http.contract import wire

ERROR_TEXT = {
    400: "Body is not JSON, or not an object",
    401: "Missing, malformed, expired, revoked or wrongly signed token; bad credentials",
    403: "The caller's role, or a client token's scope, does not allow this",
    404: "No such resource, or one the caller may not see",
    409: (
        "The resource already exists, or is defined by configuration, or its state does not"
        " allow this"
    ),
    413: "Body over 64 KiB",
    415: "Body sent as a media type (Content-Type) the operation does not take",
    422: "A field is missing or invalid (each one named in `errors`)",
    429: "Rate limited (see Retry-After)",
    503: "A dependency needed under fail_closed is down (see Retry-After)",
}

Seconds = Annotated[int, msgspec.Meta(ge=0)]
RATE_LIMIT_HEADERS: dict[str, tuple[str, Any]] = {
    "RateLimit-Limit": ("Requests allowed per period", Seconds),
    "RateLimit-Remaining": ("Requests left in the period", Seconds),
    "RateLimit-Reset": ("Seconds until the quota is whole again", Seconds),
}
RETRY_AFTER: dict[str, tuple[str, Any]] = {"Retry-After": ("Seconds to wait", Seconds)}
# With Cache-Control, whose max-age is the operation's own (openapi.py).
CACHE_HEADERS: dict[str, tuple[str, Any]] = {"ETag": ("Strong validator of the body", str)}


@attrs.frozen
class Conditional:
    """The request header of every cached operation (entrypoints/http/caching.py)."""

    if_none_match: Annotated[
        str | None,
        msgspec.Meta(description="An ETag from an earlier answer: 304 when the body is the same"),
    ] = attrs.field(default=None, metadata=wire("If-None-Match"))


@attrs.frozen
class FieldProblem:
    """One invalid field of the request, named as the request names it."""

    field: str
    message: str


@attrs.frozen
class Problem:
    """RFC 9457 problem details: the body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | msgspec.UnsetType = msgspec.UNSET


OAuthErrorCode = Literal[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "unsupported_token_type",
]


@attrs.frozen
class OAuthErrorBody:
    """RFC 6749 §5.2: the format OAuth clients parse (not problem+json)."""

    error: OAuthErrorCode
    error_description: str | msgspec.UnsetType = msgspec.UNSET
