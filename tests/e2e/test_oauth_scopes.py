"""Scope enforcement on every secured operation, generated from /openapi.json: a client's
token calls an operation exactly when it holds the scope the operation declares; anything
else is 403 with `WWW-Authenticate: Bearer error="insufficient_scope"` (RFC 6750 §3.1)."""

import re
from typing import Any

from starlette.testclient import TestClient

from domain.clients import BALLAST_SCOPES
from tests.support.clients import bearer
from tests.support.oauth import admin_token, client_token, new_client, oauth_app


def secured_operations(spec: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(method, path with every parameter filled, the scope it declares or None)."""
    found = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            security = op.get("security")
            if not security:
                continue
            scopes = [s["oauth2"] for s in security if "oauth2" in s]
            scope = scopes[0][0] if scopes else None
            found.append((method.upper(), re.sub(r"\{[^}]+\}", "nothing-here", path), scope))
    return found


def call(client: TestClient, method: str, path: str, token: str) -> Any:
    return client.request(method, path, headers=bearer(token), json={})


def test_each_operation_answers_a_client_token_by_its_declared_scope() -> None:
    with oauth_app() as client:
        admin = admin_token(client)
        operations = secured_operations(client.get("/openapi.json").json())
        # One client holding each scope alone, and one holding none.
        tokens = {
            scope: client_token(client, new_client(client, admin, [scope], name=scope))
            for scope in BALLAST_SCOPES
        }
        bare = client_token(client, new_client(client, admin, [], name="bare"))
        answers = {
            (method, path, held): call(client, method, path, token)
            for method, path, _ in operations
            for held, token in [*tokens.items(), (None, bare)]
        }

    declared = {scope for _, _, scope in operations if scope}
    assert declared == set(BALLAST_SCOPES)  # every scope is needed by some operation
    assert len(operations) >= 20
    for method, path, scope in operations:
        for held in [*BALLAST_SCOPES, None]:
            response = answers[(method, path, held)]
            where = f"{method} {path} with {held}"
            if scope is not None and held == scope:
                assert response.status_code not in (401, 403), where
                continue
            assert response.status_code == 403, where
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith('Bearer error="insufficient_scope"'), where
            if scope is not None:
                assert f'scope="{scope}"' in challenge, where


def test_user_tokens_keep_working_by_role() -> None:
    with oauth_app() as client:
        admin = admin_token(client)
        users = client.get("/api/users", headers=bearer(admin))
        me = client.get("/api/auth/me", headers=bearer(admin))

    assert users.status_code == 200
    assert me.status_code == 200
