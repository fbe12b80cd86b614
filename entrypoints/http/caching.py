"""HTTP caching for GET responses that many clients ask for alike: a strong ETag from the
body, Cache-Control, and 304 Not Modified when the client already holds that body."""

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from entrypoints.http.json_body import render

DEFAULT_MAX_AGE = 60


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match asks: `W/` is ignored, `*` matches."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def cached_json(request: Request, content: Any, max_age: int = DEFAULT_MAX_AGE) -> Response:
    """`content` as JSON with ETag and Cache-Control, or a bodiless 304 when it matches."""
    body = render(content)
    return cached_body(request, body, etag_of(body), max_age)


def cached_body(
    request: Request, body: bytes, etag: str, max_age: int = DEFAULT_MAX_AGE
) -> Response:
    """A JSON body already rendered, with its ETag (both possibly computed long before)."""
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers, media_type="application/json")
