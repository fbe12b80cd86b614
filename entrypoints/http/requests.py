"""Reading requests: JSON bodies, bearer tokens, the client's address."""

import itertools
import json
import math
import re
import urllib.parse
from collections.abc import Callable, Collection
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.types import Scope

from application.auth.tokens import VerifyToken
from domain.errors import BallastError, MissingTokenError
from domain.json_values import first_bad_text
from domain.tokens import TokenClaims
from entrypoints.http.problems import MalformedBodyError
from entrypoints.http.request_state import request_state

# The deepest a request body may nest (objects and arrays); documented in docs/API.md.
MAX_BODY_DEPTH = 32
# A JSON string literal (escapes included), to look past brackets inside strings; one left
# unclosed runs to the end of the text. Removing every literal examines each character once:
# the pattern cannot fail where it starts (a quote), and its possessive loops never give
# back. (A pattern that needed the closing quote was tried again from every later quote of
# an unclosed run of escaped quotes: quadratic, 27 s of one worker for a 64 KiB body.)
STRING_LITERAL = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)

_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# A \uD800-\uDFFF escape: the only way strict UTF-8 text can still decode to a surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _nesting(text: str) -> int:
    """How deep `text` nests, from its brackets outside string literals: counted before
    parsing, so a body nested thousands deep never reaches the recursive parser. Linear in
    the length of `text` (each step a C loop), whatever it holds."""
    if text.count("[") + text.count("{") <= MAX_BODY_DEPTH:
        return 0
    brackets = _NOT_BRACKET.sub("", STRING_LITERAL.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets), initial=0))


def _refuse_constant(name: str) -> Any:
    raise MalformedBodyError(f"request body holds {name}, which is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedBodyError(f"request body holds a number out of range: {text[:40]}")
    return value


_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_refuse_constant)


def parse_body(raw: bytes) -> Any:
    """The one strict reader of request body bytes: UTF-8 JSON, nested at most
    MAX_BODY_DEPTH deep, every string (keys included, at any depth) encodable as UTF-8
    (no lone surrogate such as "\\ud800"), numbers finite. Anything else is a
    MalformedBodyError (400), raised before any use case sees the body."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBodyError("request body is not UTF-8") from None
    if _nesting(text) > MAX_BODY_DEPTH:
        raise MalformedBodyError(f"request body nests deeper than {MAX_BODY_DEPTH} levels")
    try:
        body = _DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise MalformedBodyError(f"request body is not valid JSON: {e.msg} at {e.pos}") from None
    except (ValueError, RecursionError):
        # An integer longer than the interpreter converts (RecursionError cannot happen
        # within MAX_BODY_DEPTH, but must never escape as a 500).
        raise MalformedBodyError("request body holds a number with too many digits") from None
    if _SURROGATE_ESCAPE.search(text) and (where := first_bad_text(body)) is not None:
        raise MalformedBodyError(
            f"request body has text that is not valid Unicode (a lone surrogate) at {where}"
        )
    return body


async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object, read by `parse_body`; `optional`: an empty body is {}."""
    raw = await request.body()
    if optional and not raw.strip():
        return {}
    body = parse_body(raw)
    if not isinstance(body, dict):
        raise MalformedBodyError("request body must be a JSON object")
    return body


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def media_type(scope: Scope) -> str:
    """The media type of the request's body (its Content-Type without parameters), or ""."""
    value = header(scope, b"content-type")
    return "" if value is None else value.partition(";")[0].strip().lower()


async def form_object(request: Request, fields: Collection[str] = ()) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body (as OAuth clients send it); one of
    `fields` sent twice is malformed (another field sent twice is ignored, as unknown fields
    are)."""
    return form_fields(await request.body(), fields, MalformedBodyError)


def form_fields(
    raw: bytes, fields: Collection[str], error: Callable[[str], Exception]
) -> dict[str, str]:
    """A form body's fields: strict UTF-8 and form syntax; each of `fields` at most once
    (RFC 6749 §3.2), the first value of any other. Raises `error(description)`."""
    try:
        text = raw.decode("utf-8", errors="strict")
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, strict_parsing=bool(text), errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise error("request body is not a valid form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            if name in fields:
                raise error(f"form field {name!r} is sent more than once")
            continue
        form[name] = value
    return form


def parse_bearer(header: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header, read from the scope (Starlette's Headers would
    be built for one look, on the request path)."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def scope_bearer(scope: Scope) -> str | None:
    """The bearer token of the request's (first) Authorization header, or None."""
    value = header(scope, b"authorization")
    return None if value is None else parse_bearer(value)


async def verified(scope: Scope, verify: VerifyToken) -> TokenClaims | BallastError:
    """The outcome of verifying the request's access token, once per request: whoever asks
    first (the rate limiter, for its client key) verifies, and the route reuses it. The
    error is returned, not raised: an anonymous request is no exception to the limiter."""
    state = request_state(scope)
    outcome = state.verified
    if outcome is None:
        token = scope_bearer(scope)
        if token is None:
            outcome = MissingTokenError()
        else:
            try:
                outcome = await verify(token)
            except BallastError as e:
                outcome = e
        state.verified = outcome
    return outcome


async def authenticate(request: Request, verify: VerifyToken) -> TokenClaims:
    """The request's verified access token, or its error raised."""
    outcome = await verified(request.scope, verify)
    if isinstance(outcome, BallastError):
        raise outcome
    return outcome


def client_address(request: Request) -> str:
    return scope_address(request.scope)


def scope_address(scope: Scope) -> str:
    """The client's address as the edge resolved it (trusted proxies applied); else the
    socket peer."""
    return request_state(scope).client


def changes_of(body: object, names: tuple[str, ...]) -> dict[str, object]:
    """The fields a PATCH body sets, by name (a field left out is msgspec's UNSET)."""
    return {name: value for name in names if (value := getattr(body, name)) is not msgspec.UNSET}
