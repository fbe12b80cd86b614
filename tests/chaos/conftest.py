"""Apps on a real Redis that the test kills, hangs and restarts."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient

from domain.ports import PasswordHasher
from entrypoints.bootstrap import bootstrap
from entrypoints.http.app import create_app
from entrypoints.settings import OnRedisDown, Policies, RedisSettings, Settings, Storage
from tests.fakes import fast_hasher

ADMIN_PASSWORD = "admin-password"
SECRET = "chaos-tests-secret-shared-by-every-instance"


def redis_settings(url: str, policy: OnRedisDown = OnRedisDown.FALLBACK, **extra: Any) -> Settings:
    return Settings(
        redis=RedisSettings(url, connect_timeout=0.25, command_timeout=0.25, failures_to_open=3),
        storage=Storage.REDIS,
        policies=Policies(policy, policy, policy, policy),
        jwt_secret=SECRET,
        admin_password=ADMIN_PASSWORD,
        rate_limit=None,
        login_rate_limit=None,
        **extra,
    )


@contextmanager
def running_app(settings: Settings) -> Iterator[TestClient]:
    app = create_app(bootstrap(settings, {PasswordHasher: fast_hasher()}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def login(
    client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD
) -> dict[str, Any]:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def eventually(check: Callable[[], bool], within: float = 10.0) -> bool:
    """Polls `check` until it holds; a functional deadline, not a speed measurement."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def redis_status(client: TestClient) -> str:
    status: str = client.get("/health").json()["checks"]["redis"][0]["status"]
    return status
