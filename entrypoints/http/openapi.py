"""The OpenAPI 3 document, assembled from the paths each route module describes."""

from typing import Any

from entrypoints.http.health_routes import ballast_version

Schema = dict[str, Any]

PROBLEM: Schema = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

ERROR_TEXT = {
    400: "Body is not JSON, or not an object",
    401: "Missing, malformed, expired, revoked or wrongly signed token; bad credentials",
    403: "The caller's role does not allow this",
    404: "No such resource, or one the caller may not see",
    409: "The resource already exists, or is defined by configuration",
    413: "Body over 64 KiB",
    422: "A field is missing or invalid",
    429: "Rate limited (see Retry-After)",
    503: "A dependency needed under fail_closed is down (see Retry-After)",
}


def obj(required: list[str] | None = None, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}


def operation(
    summary: str,
    *,
    ok: int = 200,
    response: Schema | None = None,
    body: Schema | None = None,
    errors: tuple[int, ...] = (),
    secured: bool = True,
    parameters: list[Schema] | None = None,
    tag: str = "auth",
    media: str = "application/json",
) -> Schema:
    responses: Schema = {
        str(ok): {"description": "Success"}
        if response is None
        else {"description": "Success", "content": {media: {"schema": response}}}
    }
    for status in sorted({*errors, *((401,) if secured else ())}):
        responses[str(status)] = {
            "description": ERROR_TEXT[status],
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    op: Schema = {"summary": summary, "tags": [tag], "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if secured:
        op["security"] = [{"bearer": []}]
    if parameters:
        op["parameters"] = parameters
    return op


def query(name: str, schema: Schema, required: bool = False, description: str = "") -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def document(paths: dict[str, dict[str, Schema]]) -> Schema:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ballast", "version": ballast_version()},
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
