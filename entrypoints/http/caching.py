"""HTTP caching for GET responses that many clients ask for alike: a strong ETag from the
body, Cache-Control, and 304 Not Modified when the client already holds that body."""

import hashlib
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import Response

from entrypoints.http.json_body import render
from entrypoints.http.requests import header

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


@attrs.frozen
class Rendered:
    """A JSON body rendered once, with its ETag and caching headers as they are sent: served
    again and again without rework."""

    body: bytes
    etag: str
    headers: tuple[tuple[bytes, bytes], ...]


def rendered(content: Any, max_age: int = DEFAULT_MAX_AGE) -> Rendered:
    body = render(content)
    etag = etag_of(body)
    cache_control = b"public, max-age=%d" % max_age
    return Rendered(body, etag, ((b"etag", etag.encode()), (b"cache-control", cache_control)))


def cached_json(request: Request, content: Any, max_age: int = DEFAULT_MAX_AGE) -> Response:
    """`content` as JSON with ETag and Cache-Control, or a bodiless 304 when it matches."""
    return cached_body(request, rendered(content, max_age))


def cached_body(request: Request, known: Rendered) -> Response:
    """A body rendered before, or a bodiless 304 when the client holds it already."""
    if matches(header(request.scope, b"if-none-match"), known.etag):
        response = Response(status_code=304)
    else:
        response = Response(known.body, media_type="application/json")
    response.raw_headers.extend(known.headers)
    return response
