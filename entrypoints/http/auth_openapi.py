"""OpenAPI description of the auth and health routes."""

from entrypoints.http.openapi import INTEGER, STRING, Schema, obj, operation, query

ROLES: Schema = {"type": "array", "items": {"type": "string", "enum": ["admin", "service"]}}
PAIR = obj(
    ["access_token", "refresh_token", "token_type", "expires_in", "refresh_expires_in"],
    access_token=STRING,
    refresh_token=STRING,
    token_type={"type": "string", "enum": ["Bearer"]},
    expires_in=INTEGER,
    refresh_expires_in=INTEGER,
)
USER = obj(["username", "roles"], username=STRING, roles=ROLES)
EVENT = obj(
    ["type", "username", "at", "client"],
    type=STRING,
    username=STRING,
    at={"type": "string", "format": "date-time"},
    client=STRING,
)
HEALTH = obj(["status"], status={"type": "string", "enum": ["pass", "warn", "fail"]})

JWK = obj(
    ["kty", "kid", "alg", "use", "x"],
    kty={"type": "string", "enum": ["OKP", "EC"]},
    crv={"type": "string", "enum": ["Ed25519", "P-256"]},
    kid={"type": "string", "description": "RFC 7638 thumbprint; the token header's kid"},
    alg={"type": "string", "enum": ["EdDSA", "ES256"]},
    use={"type": "string", "enum": ["sig"]},
    x=STRING,
    y=STRING,
)

PATHS: dict[str, dict[str, Schema]] = {
    "/.well-known/jwks.json": {
        "get": operation(
            "The public keys that verify Ballast's tokens, current and previous (empty under"
            " HS256); cacheable, with ETag",
            response=obj(["keys"], keys={"type": "array", "items": JWK}),
            secured=False,
        )
    },
    "/api/auth/login": {
        "post": operation(
            "Log in with a password; returns an access and a refresh token",
            body=obj(["username", "password"], username=STRING, password=STRING),
            response=PAIR,
            errors=(400, 401, 413, 422, 429, 503),
            secured=False,
        )
    },
    "/api/auth/refresh": {
        "post": operation(
            "Trade a refresh token (used up) for a new pair; reuse revokes the family",
            body=obj(["refresh_token"], refresh_token=STRING),
            response=PAIR,
            errors=(400, 401, 413, 422, 429, 503),
            secured=False,
        )
    },
    "/api/auth/logout": {
        "post": operation(
            "Revoke the access token and its refresh family",
            ok=204,
            body=obj(refresh_token=STRING),
            errors=(400, 413, 422, 503),
        )
    },
    "/api/auth/introspect": {
        "post": operation(
            "RFC 7662 introspection (role service or admin): is this token live? Answered"
            ' from memory; anything not live is {"active": false} and nothing else',
            body=obj(["token"], token=STRING),
            response=obj(
                ["active"],
                active={"type": "boolean"},
                sub=STRING,
                token_type={"type": "string", "enum": ["access", "refresh"]},
                exp=INTEGER,
                iat=INTEGER,
                jti=STRING,
                iss=STRING,
                roles=ROLES,
                aud=STRING,
            ),
            errors=(400, 403, 413, 422),
        )
    },
    "/api/auth/me": {"get": operation("The caller's username and roles", response=USER)},
    "/api/auth/revoke": {
        "post": operation(
            "Revoke any token (admin)",
            ok=204,
            body=obj(["token"], token=STRING),
            errors=(400, 403, 413, 422, 503),
        )
    },
    "/api/auth/events": {
        "get": operation(
            "Auth events, newest first (admin)",
            response=obj(["items"], items={"type": "array", "items": EVENT}),
            errors=(403, 422, 503),
            parameters=[
                query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50})
            ],
        )
    },
    "/api/users": {
        "post": operation(
            "Create a user (admin)",
            ok=201,
            body=obj(
                ["username", "password"],
                username={"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                password={"type": "string", "minLength": 8, "maxLength": 256},
                roles=ROLES,
            ),
            response=USER,
            errors=(400, 403, 409, 413, 422, 503),
        )
    },
    "/health": {
        "get": operation(
            "Health in the IETF health-check format",
            response=HEALTH,
            errors=(503,),
            secured=False,
            tag="operations",
            media="application/health+json",
        )
    },
    "/health/live": {
        "get": operation(
            "Liveness",
            response=HEALTH,
            secured=False,
            tag="operations",
            media="application/health+json",
        )
    },
    "/health/ready": {
        "get": operation(
            "Readiness: 503 only when a fail_closed dependency is down or shutting down",
            response=HEALTH,
            errors=(503,),
            secured=False,
            tag="operations",
            media="application/health+json",
        )
    },
    "/openapi.json": {
        "get": operation(
            "This document", response={"type": "object"}, secured=False, tag="operations"
        )
    },
}
# Introspection takes the form encoding of RFC 7662 as well as JSON.
_introspect_body = PATHS["/api/auth/introspect"]["post"]["requestBody"]["content"]
_introspect_body["application/x-www-form-urlencoded"] = _introspect_body["application/json"]
# Logout's body is optional (the refresh token is revoked by family anyway).
PATHS["/api/auth/logout"]["post"]["requestBody"]["required"] = False
