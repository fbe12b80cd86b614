"""The HTTP contract, declared once: each operation names its request and response shapes
(frozen attrs classes whose field types carry their constraints as
``Annotated[T, msgspec.Meta(...)]``), and that one declaration both validates requests and
generates /openapi.json (entrypoints/http/openapi.py). msgspec does the validation and the
JSON Schema (docs/CONTRACT.md says why msgspec).

Adding a route, e.g. ``GET /api/things/{id}``:

1. Declare its shapes in the capability's ``*_shapes.py``: one attrs class per source of
   input (``body``; ``query``, ``path`` and ``headers`` classes whose fields are the
   parameters, renamed with ``attrs.field(metadata=wire("Header-Name"))`` where the wire
   name is not an identifier) and one per JSON response, with an example instance of each.
2. Declare the ``Operation`` next to the handler: method, path, operation_id, summary, tag,
   ``ok`` status and ``response`` shape, the error statuses it can answer, the input shapes,
   and an ``example``.
3. Write ``async def handler(request, *, caller=..., body=..., query=..., path=...,
   headers=...)``, taking only what the operation declares: a secured operation's `caller`
   is authenticated first (401; a client's own credentials count too where the operation
   has `client_auth`), then every input arrives decoded and validated, or the
   client got a 422 naming every bad field (400 for a body that is not a JSON object) and
   the handler never ran. Build the response from the response shape (``json_of``).
4. Return ``Endpoint(operation, handler, verify)`` from the module's ``routes(container)``;
   app.py serves every endpoint and documents it, so no route is served undocumented.
"""

import functools
import re
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Union

import attrs
import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from application.auth.tokens import VerifyToken
from application.bounded_cache import BoundedCache
from domain.errors import FieldError, InsufficientScopeError, ValidationError
from domain.tokens import TokenClaims
from entrypoints.http.caching import DEFAULT_MAX_AGE
from entrypoints.http.field_messages import message
from entrypoints.http.json_body import JsonResponse
from entrypoints.http.problems import UnsupportedMediaTypeError
from entrypoints.http.requests import (
    FORM,
    JSON,
    authenticate,
    form_object,
    json_object,
    media_type,
    scope_bearer,
)

Handler = Callable[..., Awaitable[Response]]
# The caller a request authenticates as with a client's credentials (None: it presents
# none); the bool is the operation's `oauth`.
ClientCaller = Callable[[Request, bool], Awaitable[TokenClaims | None]]
PARAM_NAME = "ballast.param"
CLOSED = "ballast_closed"
T = typing.TypeVar("T")
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,20}")


def wire(name: str) -> dict[str, str]:
    """Field metadata naming a field on the wire where the name (``from``, ``Idempotency-Key``)
    is not a Python identifier: ``attrs.field(metadata=wire("from"))``. For parameters, and
    for the top-level fields of a response shape."""
    return {PARAM_NAME: name}


def wire_name(field: "attrs.Attribute[Any]") -> str:
    return str(field.metadata.get(PARAM_NAME, field.name))


def closed(message: str) -> Callable[[type[T]], type[T]]:
    """Marks a body shape that refuses fields it does not have: each one is a 422 error of its
    own, with `message` (and ``additionalProperties: false`` in the document). Other shapes
    ignore unknown fields, as JSON clients expect."""

    def mark(shape: type[T]) -> type[T]:
        setattr(shape, CLOSED, message)
        return shape

    return mark


def closed_message(shape: Any) -> str | None:
    message = getattr(shape, CLOSED, None)
    return message if isinstance(message, str) else None


@functools.cache
def renames(shape: Any) -> dict[str, str]:
    """Python name -> wire name of the fields of `shape` that `wire()` renamed (once per shape;
    callers only read the mapping)."""
    if not attrs.has(shape):
        return {}
    return {f.name: wire_name(f) for f in attrs.fields(shape) if PARAM_NAME in f.metadata}


@attrs.frozen
class Operation:
    """One method on one path: everything /openapi.json says about it, and what is validated."""

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    ok: int = 200
    response: Any = None  # a shape type, `str` for text, None for no body
    media: str = "application/json"
    errors: tuple[int, ...] = ()
    secured: bool = True
    # The OAuth scope a client's token needs to call it (None: no client may); users'
    # tokens are judged by role, in the use case.
    scope: str | None = None
    # Served the OAuth way (RFC 6749 §5.2): the handler reads its own form and answers its
    # own errors; `body` only documents the request.
    oauth: bool = False
    # A client may also call it with its own credentials instead of a bearer token (HTTP
    # Basic, or client_id and client_secret in a form body: RFC 6749 §2.3.1); `scope` still
    # applies. Under `oauth`, a request that presents neither is invalid_client.
    client_auth: bool = False
    body: Any = None  # a shape, or a union of shapes told apart by `discriminator`
    body_required: bool = True
    form: bool = False  # the body may also come form-encoded (OAuth clients send it so)
    discriminator: str | None = None
    query: type | None = None
    path_params: type | None = None
    headers: type | None = None
    example: Any = None  # an instance of `response`
    request_example: Any = None  # an instance of (a variant of) `body`
    # header name -> (description, type) of headers every success carries
    response_headers: Mapping[str, tuple[str, Any]] = attrs.field(factory=dict)
    cached: bool = False  # ETag, Cache-Control and 304 (entrypoints/http/caching.py)
    max_age: int = DEFAULT_MAX_AGE  # of a cached operation's Cache-Control
    also_ok: tuple[tuple[int, str], ...] = ()  # other successes with the same body

    @property
    def consumes(self) -> tuple[str, ...]:
        """The media types the body may be sent as; any other is a 415."""
        if self.oauth:
            return (FORM,)
        return (JSON, FORM) if self.form else (JSON,)


MAX_QUERIES = 1024  # per operation
MAX_QUERY_KEPT = 256  # bytes: the kept queries of an operation stay under 256 KiB


@attrs.frozen
class Endpoint:
    """An operation and the handler that serves it. A secured operation's caller is
    authenticated first (401 before any 4xx about the request) and handed in as `caller`."""

    operation: Operation
    handler: Handler
    verify: VerifyToken | None = None
    client: ClientCaller | None = None  # for an operation with `client_auth`
    # Query strings already read, and what they read as (the shapes are frozen): a query
    # asked again skips parsing and validation.
    _queries: BoundedCache[bytes, Any] = attrs.field(
        factory=lambda: BoundedCache("parsed_queries", MAX_QUERIES),
        init=False,
        eq=False,
        repr=False,
    )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Served as a plain ASGI app: Starlette would wrap a function endpoint in a second
        exception-handling layer per request, and the app's one layer maps the same errors."""
        response = await self.serve(Request(scope, receive, send))
        await response(scope, receive, send)

    async def serve(self, request: Request) -> Response:
        op = self.operation
        inputs: dict[str, Any] = {}
        if op.secured:
            caller = inputs["caller"] = await self._caller(request)
            if caller.client_id is not None and op.scope not in caller.scopes:
                raise InsufficientScopeError(op.scope)
        return await self.handler(request, **inputs, **await self._inputs(request))

    async def _caller(self, request: Request) -> TokenClaims:
        """The bearer token's claims; without one, for an operation that takes them, the
        client that the request's credentials authenticate."""
        op = self.operation
        assert self.verify is not None, f"{op.operation_id} is secured: give it `verify`"
        if op.client_auth and scope_bearer(request.scope) is None:
            assert self.client is not None, f"{op.operation_id} takes clients: give it `client`"
            caller = await self.client(request, op.oauth)
            if caller is not None:
                return caller
        return await authenticate(request, self.verify)

    async def _inputs(self, request: Request) -> dict[str, Any]:
        """Every input the operation declares, decoded and validated, or the error."""
        op = self.operation
        inputs: dict[str, Any] = {}
        errors: list[FieldError] = []
        if op.body is not None and not op.oauth:
            inputs["body"] = _collect(errors, decode_body, op, await self._body(request))
        if op.query is not None:
            inputs["query"] = self._query(request, errors)
        # Each source read only when declared (Starlette builds its Headers on every read).
        if op.path_params is not None:
            inputs["path"] = _collect(errors, decode_params, op.path_params, request.path_params)
        if op.headers is not None:
            inputs["headers"] = _collect(errors, decode_params, op.headers, request.headers)
        if errors:
            raise ValidationError(errors)
        return inputs

    async def _body(self, request: Request) -> dict[str, Any]:
        """The body read as the media type it is sent as, if the operation takes that one
        (decided before the body is read). An optional body may come without a type, empty."""
        op = self.operation
        media = media_type(request.scope)
        if media == JSON:
            return await json_object(request, optional=not op.body_required)
        if media == FORM and op.form:
            return await form_object(request, _wire_fields(op.body))
        if not media and not op.body_required and not (await request.body()).strip():
            return {}
        raise UnsupportedMediaTypeError(media, op.consumes)

    def _query(self, request: Request, errors: list[FieldError]) -> Any:
        raw: bytes = request.scope["query_string"]
        query = self._queries.get(raw)
        if query is None:
            query = _collect(errors, decode_params, self.operation.query, request.query_params)
            # A refused query is read again (its errors are per field), and a long one is not
            # kept (parameters no shape reads could make each entry as long as the request).
            if query is not None and len(raw) <= MAX_QUERY_KEPT:
                self._queries.put(raw, query)
        return query


def _collect(errors: list[FieldError], decode: Callable[..., Any], *args: Any) -> Any:
    """Runs one decoder, keeping its errors, so that body and parameters are reported at once."""
    try:
        return decode(*args)
    except ValidationError as e:
        errors.extend(e.errors)
        return None


@functools.cache
def _wire_fields(shape: Any) -> frozenset[str]:
    """The wire names of the fields of a body shape (of every variant of a union)."""
    return frozenset(wire_name(f) for v in variants(shape) for f in attrs.fields(v))


def variants(shape: Any) -> tuple[type, ...]:
    """The classes of a shape or of a union of shapes."""
    if isinstance(shape, types.UnionType) or typing.get_origin(shape) is Union:
        return tuple(typing.get_args(shape))
    return (shape,)


def decode_body(op: Operation, raw: dict[str, Any]) -> Any:
    shapes = variants(op.body)
    if op.discriminator is None:
        return decode(shapes[0], raw)
    tags = {_tag(s, op.discriminator): s for s in shapes}
    tag = raw.get(op.discriminator)
    shape = tags.get(tag) if isinstance(tag, str) else None
    if shape is None:
        # Every other field is still checked, so that all problems are reported at once.
        allowed = f"must be one of: {', '.join(tags)}"
        errors = [
            FieldError(e.field, allowed if e.field == op.discriminator and tag else e.message)
            for e in _field_errors(shapes[0], raw)
        ]
        raise ValidationError(errors)
    return decode(shape, raw)


@functools.cache  # type hints are slow to read: once per shape
def _tag(shape: type, discriminator: str) -> str:
    hint = typing.get_type_hints(shape)[discriminator]
    (value,) = typing.get_args(hint)
    return str(value)


def decode(shape: type, data: Mapping[str, Any]) -> Any:
    """`data` as an instance of `shape`, or a ValidationError naming every bad field."""
    unknown = _unknown_fields(shape, data)
    try:
        value: Any = msgspec.convert(dict(data), shape)
    except msgspec.ValidationError:
        errors = _field_errors(shape, data) + unknown
        raise ValidationError(errors or [FieldError("body", "is not valid")]) from None
    if unknown:
        raise ValidationError(unknown)
    return value


def _unknown_fields(shape: type, data: Mapping[str, Any]) -> list[FieldError]:
    message = closed_message(shape)
    if message is None:
        return []
    known = {f.name for f in attrs.fields(shape)}
    return [FieldError(name, message) for name in sorted(set(data) - known)]


@functools.cache
def _params_plan(shape: type) -> tuple[tuple[str, str, bool], ...]:
    """Once per shape (type hints are slow to read): each field's name, its name on the wire,
    and whether it is a whole number."""
    hints = typing.get_type_hints(shape, include_extras=True)
    return tuple((f.name, wire_name(f), _base(hints[f.name]) is int) for f in attrs.fields(shape))


def decode_params(shape: type, values: Mapping[str, str]) -> Any:
    """Query, path or header parameters (all strings on the wire) as an instance of `shape`;
    whole numbers are read as such, a value present but empty is a value (never the default)."""
    data: dict[str, Any] = {}
    for field, name, whole in _params_plan(shape):
        if name in values:
            raw = values[name]
            data[field] = int(raw) if whole and WHOLE_NUMBER.fullmatch(raw) else raw
    try:
        return msgspec.convert(data, shape)
    except msgspec.ValidationError:
        errors = _field_errors(shape, data)
        raise ValidationError(errors or [FieldError("query", "is not valid")]) from None


def _base(hint: Any) -> Any:
    while typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) and len(args) == 1:
        return _base(args[0])
    return hint


def _field_errors(shape: type, data: Mapping[str, Any]) -> list[FieldError]:
    """Each field checked on its own: msgspec stops at the first error, clients want them all."""
    hints = typing.get_type_hints(shape, include_extras=True)
    errors: list[FieldError] = []
    for field in attrs.fields(shape):
        name = wire_name(field)
        if field.name not in data:
            if field.default is attrs.NOTHING:
                errors.append(FieldError(name, "is required"))
            continue
        try:
            msgspec.convert(data[field.name], hints[field.name])
        except msgspec.ValidationError as e:
            errors.append(FieldError(name, message(hints[field.name], str(e))))
    return errors


def builtins(shape: Any) -> Any:
    """A shape instance as JSON-ready values, its fields under their wire names."""
    out = msgspec.to_builtins(shape)
    for name, wire in renames(shape.__class__).items():
        out[wire] = out.pop(name)
    return out


def json_of(shape: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A response shape instance as a JSON response."""
    content = builtins(shape) if renames(shape.__class__) else shape
    return JsonResponse(content, status, headers)
