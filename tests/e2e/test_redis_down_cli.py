"""`ballast serve` starts under every policy while Redis is down, and `ballast health` is
read-only: real processes against a real redis-server (empty, refused, hung)."""

import json
import subprocess
from pathlib import Path

import httpx
import pytest
import redis

from tests.redis_server import RedisServer, free_port
from tests.support.servers import ADMIN_PASSWORD, BALLAST, clean_env, serving

pytestmark = pytest.mark.redis
POLICIES = ("fallback", "fail_closed")


def run_health(**env: str) -> tuple[int, dict[str, object], str]:
    result = subprocess.run(
        [BALLAST, "health"],
        env=clean_env(BALLAST_ADMIN_PASSWORD=ADMIN_PASSWORD, **env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.returncode, json.loads(result.stdout), result.stderr


def dbsize(server: RedisServer) -> int:
    with redis.Redis(port=server.port, socket_timeout=5) as client:
        return int(client.dbsize())


@pytest.mark.parametrize("policy", POLICIES)
def test_health_against_an_empty_redis_passes_and_writes_nothing(
    own_redis: RedisServer, policy: str
) -> None:
    assert dbsize(own_redis) == 0
    code, report, stderr = run_health(REDIS_URL=own_redis.url, BALLAST_ON_REDIS_DOWN=policy)

    assert code == 0, stderr
    assert report["status"] == "pass"
    assert dbsize(own_redis) == 0
    assert "Traceback" not in stderr


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("outage", ["refused", "hung"])
def test_health_with_redis_down_prints_the_report_and_exits_by_status(
    own_redis: RedisServer, policy: str, outage: str
) -> None:
    if outage == "refused":
        own_redis.kill()
    else:
        own_redis.hang()
    try:
        code, report, stderr = run_health(REDIS_URL=own_redis.url, BALLAST_ON_REDIS_DOWN=policy)
    finally:
        if outage == "hung":
            own_redis.resume()

    redis_check = report["checks"]["redis"][0]  # type: ignore[index]
    assert redis_check["mode"] == "fallback"
    assert redis_check["pending_replay"] == 0
    if policy == "fail_closed":
        assert (code, report["status"]) == (1, "fail")
    else:
        assert (code, report["status"]) == (0, "warn")
    assert "Traceback" not in stderr
    if outage == "hung":
        assert dbsize(own_redis) == 0


@pytest.mark.parametrize("policy", POLICIES)
def test_serve_starts_with_redis_refused_under_every_policy(tmp_path: Path, policy: str) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = {
        "BALLAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "REDIS_URL": dead,
        "BALLAST_ON_REDIS_DOWN": policy,
    }
    with serving(tmp_path, **env) as base:
        assert httpx.get(f"{base}/health/live").status_code == 200
        health = httpx.get(f"{base}/health")
        login = httpx.post(
            f"{base}/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
    log = (tmp_path / "serve.log").read_text()
    assert "Application startup failed" not in log
    if policy == "fail_closed":
        assert health.status_code == 503 and health.json()["status"] == "fail"
        assert login.status_code == 503
        assert login.headers["Retry-After"].isdigit()
    else:
        assert health.status_code == 200 and health.json()["status"] == "warn"
        assert login.status_code == 200
