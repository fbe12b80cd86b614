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
ME = obj(["username", "roles"], username=STRING, roles=ROLES)
USER = obj(
    ["username", "roles", "disabled", "created_at", "source"],
    username=STRING,
    roles=ROLES,
    disabled={"type": "boolean"},
    created_at={
        "type": ["string", "null"],
        "format": "date-time",
        "description": "null for users defined by configuration",
    },
    source={"type": "string", "enum": ["api", "file"]},
)
USERNAME: Schema = {
    "name": "username",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
}
FILE_USER = (
    "409 when the user is defined by BALLAST_USERS_FILE (or is the bootstrap admin):"
    " configuration is authoritative for it"
)
EVENT = obj(
    ["type", "username", "at", "client", "actor"],
    type=STRING,
    username=STRING,
    at={"type": "string", "format": "date-time"},
    client=STRING,
    actor={"type": "string", "description": "who made the change; empty if no one did"},
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
    "/api/auth/me": {"get": operation("The caller's username and roles", response=ME)},
    "/api/auth/password": {
        "post": operation(
            "Change the caller's own password; every other session of the caller is revoked"
            " (this access token keeps working until it expires). " + FILE_USER,
            ok=204,
            body=obj(
                ["current_password", "new_password"],
                current_password=STRING,
                new_password={"type": "string", "minLength": 8, "maxLength": 256},
            ),
            errors=(400, 409, 413, 422, 503),
        )
    },
    "/api/auth/logout-all": {
        "post": operation(
            "Revoke every token of the caller, on every device, this one included",
            ok=204,
            errors=(503,),
        )
    },
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
        "get": operation(
            "Users by username, a page at a time (admin)",
            response=obj(
                ["items", "next_cursor"],
                items={"type": "array", "items": USER},
                next_cursor={"type": ["string", "null"]},
            ),
            errors=(403, 422, 503),
            parameters=[
                query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}),
                query("cursor", STRING, description="next_cursor of the previous page"),
            ],
        ),
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
        ),
    },
    "/api/users/{username}": {
        "get": operation(
            "One user (admin, or the user themselves)",
            response=USER,
            errors=(403, 404, 503),
            parameters=[USERNAME],
        ),
        "patch": operation(
            "Change roles or disable (admin); disabling or removing a role revokes every"
            " token of the user at once. " + FILE_USER,
            body=obj(roles=ROLES, disabled={"type": "boolean"}),
            response=USER,
            errors=(400, 403, 404, 409, 413, 422, 503),
            parameters=[USERNAME],
        ),
        "delete": operation(
            "Delete a user (admin): every token of theirs is refused from now on, also if"
            " the username is created again. " + FILE_USER,
            ok=204,
            errors=(403, 404, 409, 503),
            parameters=[USERNAME],
        ),
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
