"""OpenAPI description of /metrics and /docs, and of the rate limits on every /api route."""

import copy

from entrypoints.http.openapi import ERROR_TEXT, Schema, operation
from entrypoints.http.rate_limiting import is_exempt

PATHS: dict[str, dict[str, Schema]] = {
    "/metrics": {
        "get": operation(
            "Prometheus metrics (text exposition format), names prefixed ballast_",
            response={"type": "string"},
            secured=False,
            tag="operations",
            media="text/plain; version=0.0.4",
        )
    },
    "/status": {
        "get": operation(
            "Live status page for operators (HTML; refreshes itself every 2 s): what /health"
            " and /metrics expose, at a glance",
            response={"type": "string"},
            secured=False,
            tag="operations",
            media="text/html",
        )
    },
    "/status/status.js": {
        "get": operation(
            "The status page's refresh script",
            response={"type": "string"},
            secured=False,
            tag="operations",
            media="text/javascript",
        )
    },
    "/status/status.css": {
        "get": operation(
            "The status page's style sheet",
            response={"type": "string"},
            secured=False,
            tag="operations",
            media="text/css",
        )
    },
    "/docs": {
        "get": operation(
            "This API, interactive (Swagger UI, served by Ballast itself)",
            response={"type": "string"},
            secured=False,
            tag="operations",
            media="text/html",
        )
    },
}

INT_HEADER: Schema = {"schema": {"type": "integer", "minimum": 0}}
RATE_LIMIT_HEADERS: Schema = {
    "RateLimit-Limit": {"description": "Requests allowed per period", **INT_HEADER},
    "RateLimit-Remaining": {"description": "Requests left in the period", **INT_HEADER},
    "RateLimit-Reset": {"description": "Seconds until the quota is whole again", **INT_HEADER},
}
TOO_MANY: Schema = {
    "description": ERROR_TEXT[429],
    "headers": {
        "Retry-After": {"description": "Seconds to wait", **INT_HEADER},
        **RATE_LIMIT_HEADERS,
    },
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


CACHED = ("/api/currency/rates", "/api/currency/convert", "/.well-known/jwks.json")
CACHE_HEADERS: Schema = {
    "ETag": {"description": "Strong validator of the body", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "public, max-age=<seconds> (60; 300 for the JWKS)",
        "schema": {"type": "string"},
    },
}
IF_NONE_MATCH: Schema = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "An ETag from an earlier answer: 304 when the body would be the same",
}
NOT_MODIFIED: Schema = {"description": "Not modified (no body)", "headers": CACHE_HEADERS}


def with_operations(paths: dict[str, dict[str, Schema]]) -> dict[str, dict[str, Schema]]:
    """Rate limits on every limited route, HTTP caching on the cached ones."""
    out = with_rate_limits(paths)
    for path in CACHED:
        op = out.get(path, {}).get("get")
        if op is None:
            continue
        op.setdefault("parameters", []).append(IF_NONE_MATCH)
        op["responses"]["200"].setdefault("headers", {}).update(CACHE_HEADERS)
        op["responses"]["304"] = NOT_MODIFIED
    send = out.get("/api/notifications", {}).get("post")
    if send is not None and "200" not in send["responses"]:
        repeat = copy.deepcopy(send["responses"]["202"])
        repeat["description"] = "The first notification sent with this Idempotency-Key"
        send["responses"]["200"] = repeat
    return out


def with_rate_limits(paths: dict[str, dict[str, Schema]]) -> dict[str, dict[str, Schema]]:
    """Every limited operation documents the RateLimit-* headers and its 429."""
    out = copy.deepcopy(paths)
    for path, operations in out.items():
        if is_exempt(path):
            continue
        for op in operations.values():
            responses = op.setdefault("responses", {})
            for status, response in responses.items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
            responses["429"] = TOO_MANY
    return out
