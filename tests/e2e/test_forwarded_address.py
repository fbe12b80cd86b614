"""A client cannot choose its own address, however Ballast is started: with no trusted
proxy configured, X-Forwarded-For from a loopback client changes neither the login limit's
key nor the address the audit log records."""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.redis_server import free_port
from tests.support.servers import ADMIN_PASSWORD, BALLAST, clean_env, wait_until_live

STARTS = {
    "ballast serve": [BALLAST, "serve"],
    "python -m entrypoints serve": [sys.executable, "-m", "entrypoints", "serve"],
}


@pytest.mark.slow
@pytest.mark.parametrize("start", STARTS)
def test_a_forged_forwarded_for_buys_no_fresh_login_limit_nor_a_false_audit_entry(
    tmp_path: Path, start: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(BALLAST_ADMIN_PASSWORD=ADMIN_PASSWORD, BALLAST_LOGIN_RATE_LIMIT="10/minute")
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [*STARTS[start], "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until_live(base, process)
            statuses = [
                httpx.post(
                    f"{base}/api/auth/login",
                    json={"username": "mallory", "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"},
                ).status_code
                for i in range(12)
            ]
            admin = httpx.post(
                f"{base}/api/auth/login",
                json={"username": "admin", "password": ADMIN_PASSWORD},
                headers={"X-Forwarded-For": "203.0.113.99"},
            ).json()["access_token"]
            events = httpx.get(
                f"{base}/api/auth/events",
                headers={"Authorization": f"Bearer {admin}"},
            ).json()["items"]
        finally:
            process.terminate()
            process.wait(timeout=15)

    assert statuses == [401] * 10 + [429] * 2
    assert {e["client"] for e in events} == {"127.0.0.1"}
