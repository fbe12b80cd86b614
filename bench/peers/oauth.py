"""The peer's OAuth 2 side, as a team builds it with the standard library for the job:
Authlib's Flask authorization server with its client-credentials grant, clients in Redis
(read on every grant, as Authlib's `query_client` does), secrets stored and compared as
Authlib's client model does (`secrets.compare_digest` on the stored secret), RFC 9068 JWT
access tokens (Authlib's generator and validator, HS256 on the peer's secret), and a
`ResourceProtector` on the routes a client may call. A client's token is also checked
against the peer's Redis blocklist, like its users' tokens.
"""

import secrets
from collections.abc import Callable
from typing import Any

import redis
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator, JWTBearerTokenValidator
from flask import Flask, jsonify, request
from flask_jwt_extended import get_jwt, jwt_required
from joserfc.jwk import OctKey

ISSUER = AUDIENCE = "peer"
ALGORITHM = "HS256"
TOKEN_TTL = 3600
METHODS = ("client_secret_basic", "client_secret_post")


def client_key(client_id: str) -> str:
    return f"peer:client:{client_id}"


class Client(ClientMixin):
    """A client as stored in Redis: what Authlib asks of a client, for this grant only."""

    def __init__(self, record: dict[str, str]) -> None:
        self.client_id = record["client_id"]
        self.client_secret = record["client_secret"]
        self.scope = record["scope"]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """No scope asked: every scope of the client (as Ballast answers)."""
        if not scope:
            return self.scope
        allowed = set(self.scope.split())
        return str(list_to_scope([s for s in scope_to_list(scope) if s in allowed]))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in METHODS if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(METHODS)


class TokenGenerator(JWTBearerTokenGenerator):
    def __init__(self, key: OctKey) -> None:
        super().__init__(ISSUER, alg=ALGORITHM, expires_generator=TOKEN_TTL)
        self.key = key

    def get_jwks(self) -> OctKey:
        return self.key

    def get_audiences(self, client: Any, user: Any, scope: str) -> str:
        return AUDIENCE


class TokenValidator(JWTBearerTokenValidator):
    def __init__(self, key: OctKey, is_revoked: Callable[[str], bool]) -> None:
        super().__init__(ISSUER, AUDIENCE)
        self.key, self.is_revoked = key, is_revoked

    def get_jwks(self) -> OctKey:
        return self.key

    def validate_token(self, token: Any, scopes: Any, request: Any, **claims: Any) -> None:
        super().validate_token(token, scopes, request, **claims)
        if self.is_revoked(token["jti"]):
            raise InvalidTokenError()


def install(
    app: Flask, store: redis.Redis, secret: str, is_revoked: Callable[[str], bool]
) -> ResourceProtector:
    """POST /oauth/token, and POST /api/clients (an admin's user token) to register a
    client; returns the protector of the routes clients call."""
    key = OctKey.import_key(secret.encode())

    def query_client(client_id: str) -> Client | None:
        record = store.hgetall(client_key(client_id))
        return Client(record) if record else None

    def save_token(token: dict[str, Any], oauth_request: Any) -> None:
        """Nothing to keep: a JWT access token holds what checking it needs."""

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(ClientCredentials)
    server.register_token_generator("default", TokenGenerator(key))
    protector = ResourceProtector()
    protector.register_token_validator(TokenValidator(key, is_revoked))

    @app.post("/oauth/token")
    def issue_token() -> Any:
        return server.create_token_response()

    @app.post("/api/clients")
    @jwt_required()
    def create_client() -> Any:
        if "admin" not in get_jwt().get("roles", []):
            return jsonify(msg="admins only"), 403
        body = request.get_json(silent=True) or {}
        record = {
            "client_id": secrets.token_urlsafe(16),
            "client_secret": secrets.token_urlsafe(32),
            "scope": list_to_scope(body.get("scopes", [])),
            "name": str(body.get("name", "")),
        }
        store.hset(client_key(record["client_id"]), mapping=record)
        return jsonify(record), 201

    return protector
