"""The OpenAPI 3.1 document, generated from the operations the app serves and their shapes
(entrypoints/http/contract.py): nothing here describes a route by hand."""

import typing
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import attrs
import msgspec
from starlette.requests import Request
from starlette.responses import Response

from entrypoints.http.contract import (
    Endpoint,
    Operation,
    builtins,
    closed_message,
    renames,
    variants,
    wire_name,
)
from entrypoints.http.json_body import JsonResponse
from entrypoints.http.patterns import document_pattern
from entrypoints.http.problems import PROBLEM_TYPE, STATUS
from entrypoints.http.rate_limiting import is_exempt
from entrypoints.http.shapes import (
    CACHE_HEADERS,
    ERROR_TEXT,
    RATE_LIMIT_HEADERS,
    RETRY_AFTER,
    Conditional,
    OAuthErrorBody,
    Problem,
)
from entrypoints.version import ballast_version

Schema = dict[str, Any]
REF = "#/components/schemas/{name}"
PROBLEM = "application/problem+json"
PROBLEM_CONTENT = {PROBLEM: {"schema": {"$ref": REF.format(name="Problem")}}}
# Answered in the RFC 6749 §5.2 format by the OAuth endpoints (Operation.oauth), and by
# the operations a client calls with its credentials (Operation.client_auth).
OAUTH_STATUSES = (400, 401)
OAUTH_TEXT = {
    400: "RFC 6749 §5.2: invalid_request, unsupported_grant_type, invalid_scope,"
    " unauthorized_client or unsupported_token_type",
    401: "RFC 6749 §5.2 invalid_client (WWW-Authenticate: Basic when HTTP Basic was used)",
}
# The scheme of a client's own credentials (client_secret_basic; client_secret_post is
# their form-body twin, which OpenAPI cannot name as a scheme).
CLIENT_SCHEME = "clientSecretBasic"


def _problem_examples() -> dict[int, Schema]:
    """Status -> an example problem, of the first kind of error with that status (a 422's
    `errors` would name the operation's own fields: it has none)."""
    examples: dict[int, Schema] = {}
    for _, status, slug in STATUS:
        if status != 422:
            examples.setdefault(
                status,
                {
                    "type": PROBLEM_TYPE + slug,
                    "title": HTTPStatus(status).phrase,
                    "status": status,
                    "detail": ERROR_TEXT[status],
                },
            )
    return examples


PROBLEM_EXAMPLES = _problem_examples()


class _Components:
    """Every schema of the document, each generated once by msgspec."""

    def __init__(self) -> None:
        self.schemas: Schema = {}

    def of(self, hint: Any) -> Schema:
        (schema,), found = msgspec.json.schema_components([hint], ref_template=REF)
        _document_patterns(schema)
        _document_patterns(found)
        self.schemas.update(found)
        if renamed := renames(hint):
            component = self.schemas[hint.__name__]
            component["properties"] = {
                renamed.get(k, k): v for k, v in component["properties"].items()
            }
            component["required"] = [renamed.get(k, k) for k in component.get("required", [])]
        if closed_message(hint) is not None:
            self.schemas[hint.__name__]["additionalProperties"] = False
        return dict(schema)


def _document_patterns(schema: Any) -> None:
    """Every pattern in `schema`, in place, as JSON Schema writes it (contract.whole)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                schema[key] = document_pattern(value)
            else:
                _document_patterns(value)
    elif isinstance(schema, list):
        for item in schema:
            _document_patterns(item)


def _headers(components: _Components, headers: dict[str, tuple[str, Any]]) -> Schema:
    return {
        name: {"description": description, "schema": components.of(hint)}
        for name, (description, hint) in headers.items()
    }


def _parameters(components: _Components, op: Operation) -> list[Schema]:
    out: list[Schema] = []
    conditional = Conditional if op.cached else None
    sources = (
        ("path", op.path_params),
        ("query", op.query),
        ("header", op.headers),
        ("header", conditional),
    )
    for where, shape in sources:
        if shape is None:
            continue
        hints = typing.get_type_hints(shape, include_extras=True)
        for field in attrs.fields(shape):
            schema = _not_null(components.of(hints[field.name]))
            required = field.default is attrs.NOTHING
            if not required and field.default is not None:
                schema["default"] = msgspec.to_builtins(field.default)
            out.append(
                {
                    "name": wire_name(field),
                    "in": where,
                    "required": required,
                    "description": schema.pop("description", ""),
                    "schema": schema,
                }
            )
    return out


def _not_null(schema: Schema) -> Schema:
    """A parameter is absent or a string, never JSON null: `T | None` documents as T."""
    options = [s for s in schema.get("anyOf", ()) if s != {"type": "null"}]
    if len(options) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**options[0], **rest}
    return schema


def _body_schema(components: _Components, op: Operation) -> Schema:
    shapes = variants(op.body)
    if len(shapes) == 1:
        return components.of(shapes[0])
    refs = [components.of(shape) for shape in shapes]
    schema: Schema = {"oneOf": refs}
    if op.discriminator:
        schema["discriminator"] = {"propertyName": op.discriminator}
    return schema


def _operation(components: _Components, op: Operation) -> Schema:
    success: Schema = {"description": "Success"}
    if op.response is not None:
        content: Schema = {"schema": components.of(op.response)}
        if op.example is not None:
            content["example"] = builtins(op.example)
        success["content"] = {op.media: content}
    headers: dict[str, tuple[str, Any]] = dict(op.response_headers)
    limited = not is_exempt(op.path)
    if limited:
        headers.update(RATE_LIMIT_HEADERS)
    cache_headers = {
        **CACHE_HEADERS,
        "Cache-Control": (f"public, max-age={op.max_age}", str),
    }
    if op.cached:
        headers.update(cache_headers)
    if headers:
        success["headers"] = _headers(components, headers)
    responses: Schema = {str(op.ok): success}
    for status, description in op.also_ok:
        responses[str(status)] = {**success, "description": description}
    if op.cached:
        responses["304"] = {
            "description": "Not modified (no body)",
            "headers": _headers(components, cache_headers),
        }
    statuses = set(op.errors)
    if op.secured:
        statuses.add(401)
    if limited:
        statuses.add(429)
    if op.body is not None:
        statuses.update((400, 413) if op.oauth else (400, 413, 415, 422))
    if op.query or op.path_params or op.headers:
        statuses.add(422)
    for status in sorted(statuses):
        response: Schema = _error(components, op, status)
        if status in (429, 503):
            extra = RATE_LIMIT_HEADERS if status == 429 else {}
            response["headers"] = _headers(components, {**RETRY_AFTER, **extra})
        responses[str(status)] = response
    out: Schema = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
    }
    if op.body is not None:
        body_content: Schema = {"schema": _body_schema(components, op)}
        if op.request_example is not None:
            body_content["example"] = builtins(op.request_example)
        out["requestBody"] = {
            "required": op.body_required,
            "content": {name: body_content for name in op.consumes},
        }
    if op.secured:
        out["security"] = _security(op)
    parameters = _parameters(components, op)
    if parameters:
        out["parameters"] = parameters
    return out


def _error(components: _Components, op: Operation, status: int) -> Schema:
    """A problem, an RFC 6749 §5.2 error, or either: an OAuth endpoint's 400, and its 401
    when it takes no bearer token, are OAuth errors alone; an operation a client calls with
    its credentials answers either at 400 and 401 (bearer token or request: a problem;
    client authentication: an OAuth error)."""
    problem: Schema = PROBLEM_CONTENT
    if status in PROBLEM_EXAMPLES:
        problem = {PROBLEM: {**PROBLEM_CONTENT[PROBLEM], "example": PROBLEM_EXAMPLES[status]}}
    if status not in OAUTH_STATUSES or not (op.oauth or op.client_auth):
        return {"description": ERROR_TEXT[status], "content": problem}
    oauth = {"application/json": {"schema": components.of(OAuthErrorBody)}}
    if op.oauth and (status == 400 or not op.client_auth):
        return {"description": OAUTH_TEXT[status], "content": oauth}
    text = f"{ERROR_TEXT[status]}; client authentication: {OAUTH_TEXT[status]}"
    return {"description": text, "content": {**problem, **oauth}}


def _security(op: Operation) -> list[Schema]:
    """Any one of: a bearer token, a client's token with the operation's scope, a client's
    own credentials (for the operations that take them)."""
    security: list[Schema] = [{"bearer": []}]
    if op.scope is not None:
        security.append({"oauth2": [op.scope]})
    if op.client_auth:
        security.append({CLIENT_SCHEME: []})
    return security


SCOPE_TEXT = {
    "notifications:send": "Send and redeliver notifications",
    "notifications:read": "Read the client's own notifications",
    "tokens:introspect": "Introspect tokens (RFC 7662)",
    "users:read": "Read users",
    "users:write": "Create, change and delete users",
    "clients:write": "Administer OAuth clients",
    "events:read": "Read the auth events",
}


def document(operations: Iterable[Operation], scopes: Iterable[str] = ()) -> Schema:
    components = _Components()
    components.of(Problem)
    paths: dict[str, Schema] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(components, op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ballast", "version": ballast_version()},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.schemas.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                CLIENT_SCHEME: {
                    "type": "http",
                    "scheme": "basic",
                    "description": "A client's own credentials (RFC 6749 §2.3.1): HTTP Basic"
                    " with the client id and secret, each form-urlencoded (client_secret_basic),"
                    " or client_id and client_secret in the form body (client_secret_post);"
                    " never both",
                },
                "oauth2": {
                    "type": "oauth2",
                    "description": "Client credentials (RFC 6749 §4.4): a client's token may"
                    " call the operations that list one of its scopes",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "/oauth/token",
                            "scopes": {
                                s: SCOPE_TEXT.get(s, "Defined by the operator") for s in scopes
                            },
                        }
                    },
                },
            },
        },
    }


OPENAPI = Operation(
    "GET",
    "/openapi.json",
    "getOpenApi",
    "This document (OpenAPI 3.1), generated from the shapes that validate the requests",
    "operations",
    response=dict[str, Any],
    secured=False,
    example={"openapi": "3.1.0"},
)


def with_document(endpoints: list[Endpoint], scopes: Iterable[str] = ()) -> list[Endpoint]:
    """The endpoints and /openapi.json, the document of them all (its own operation included),
    written once; `scopes`: every OAuth scope a client may hold."""
    spec: Schema = {}

    async def openapi(request: Request) -> Response:
        return JsonResponse(spec)

    everything = [*endpoints, Endpoint(OPENAPI, openapi)]
    spec.update(document((e.operation for e in everything), scopes))
    return everything
