"""Talking to an app as its users do: a login and the header that carries its token. Works
with Starlette's TestClient and with an httpx.Client on a live server (the former is one)."""

from collections.abc import Mapping
from typing import Any

import httpx

ADMIN_PASSWORD = "admin-password"


def login(
    client: httpx.Client | str, username: str = "admin", password: str = ADMIN_PASSWORD
) -> dict[str, Any]:
    """The token pair of a successful login (the test fails on any other answer), through a
    client or to a live server's base URL."""
    credentials = {"username": username, "password": password}
    response = (
        httpx.post(f"{client}/api/auth/login", json=credentials)
        if isinstance(client, str)
        else client.post("/api/auth/login", json=credentials)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str | Mapping[str, Any]) -> dict[str, str]:
    """The Authorization header of an access token, or of a login's token pair."""
    access = token if isinstance(token, str) else token["access_token"]
    return {"Authorization": f"Bearer {access}"}
