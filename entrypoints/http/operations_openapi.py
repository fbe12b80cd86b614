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
