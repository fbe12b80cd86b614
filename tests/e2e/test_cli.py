"""The `ballast` command as an operator runs it: real processes, real sockets."""

import json
import os
import socket
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from domain.ports import PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import Settings
from tests.fakes import fast_hasher
from tests.redis_server import RedisServer, free_port
from tests.support.servers import (
    ADMIN_PASSWORD,
    BALLAST,
    clean_env,
    serving,
    wait_until_live,
)


def test_serve_answers_liveness_on_the_given_port(tmp_path: Path) -> None:
    with serving(tmp_path) as base:
        response = httpx.get(f"{base}/health/live")

        assert response.status_code == 200
        assert response.json()["status"] == "pass"


def test_serve_prints_the_generated_development_admin_password_which_logs_in(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as base:
        lines = (tmp_path / "serve.log").read_text().splitlines()
        marker = "development admin password: "
        printed = [line.split(marker, 1)[1].strip() for line in lines if marker in line]

        assert printed
        response = httpx.post(
            f"{base}/api/auth/login", json={"username": "admin", "password": printed[-1]}
        )
        assert response.status_code == 200


def test_workers_share_one_secret_and_one_state_through_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    env = {"BALLAST_ADMIN_PASSWORD": ADMIN_PASSWORD, "REDIS_URL": redis_server.url}
    with serving(tmp_path, "--workers", "2", **env) as base:
        login = httpx.post(
            f"{base}/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200
        tokens = login.json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}

        # Each request on a new connection, so the workers take turns accepting them.
        statuses = [
            httpx.get(f"{base}/api/auth/me", headers=headers).status_code for _ in range(20)
        ]
        assert statuses == [200] * 20

        # Refresh families and revocations are shared: whichever worker answers agrees.
        refreshed = httpx.post(
            f"{base}/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200
        assert httpx.post(f"{base}/api/auth/logout", headers=headers).status_code == 204
        time.sleep(1.0)  # revocations reach every worker's replica within a second
        statuses = [
            httpx.get(f"{base}/api/auth/me", headers=headers).status_code for _ in range(20)
        ]
        assert statuses == [401] * 20


def test_several_workers_without_redis_are_refused_with_the_reason(tmp_path: Path) -> None:
    result = subprocess.run(
        [BALLAST, "serve", "--port", str(free_port()), "--workers", "2"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BALLAST_STORAGE", "bogus"),
        ("BALLAST_ACCESS_TTL", "abc"),
        ("REDIS_URL", "http://x"),
        ("BALLAST_TRUSTED_PROXIES", "not-an-address"),
    ],
)
def test_serve_with_a_bad_value_exits_non_zero_naming_the_variable(
    variable: str, value: str
) -> None:
    result = subprocess.run(
        [BALLAST, "serve", "--port", str(free_port())],
        env=clean_env(**{variable: value}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode != 0
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_health_prints_pass_json_alone_on_stdout_and_exits_0() -> None:
    result = subprocess.run(
        [BALLAST, "health"],
        env=clean_env(BALLAST_ADMIN_PASSWORD=ADMIN_PASSWORD),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "pass"
    assert report["checks"]["redis"][0]["mode"] == "not_configured"


def test_health_with_a_bad_value_exits_non_zero_naming_the_variable() -> None:
    result = subprocess.run(
        [BALLAST, "health"],
        env=clean_env(BALLAST_ENV="staging"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode != 0
    assert "BALLAST_ENV" in result.stderr


def test_hash_password_prints_a_hash_that_logs_in_through_the_users_file(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [BALLAST, "hash-password"],
        input="operator-password\n",
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    hashed = result.stdout.strip()
    assert "operator-password" not in hashed
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    users_file = tmp_path / "users.json"
    users_file.write_text(
        json.dumps({"users": [{"username": "ops", "password_hash": hashed, "roles": ["admin"]}]})
    )

    settings = Settings.from_env({"BALLAST_USERS_FILE": str(users_file)})
    container = bootstrap(settings, {PasswordHasher: fast_hasher()})
    with TestClient(create_app(container)) as client:
        response = client.post(
            "/api/auth/login", json={"username": "ops", "password": "operator-password"}
        )
        assert response.status_code == 200
        me = client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
        )
        assert me.json() == {"username": "ops", "roles": ["admin"]}


def test_hash_password_at_a_terminal_asks_twice_without_echo() -> None:
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [BALLAST, "hash-password"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=clean_env(),
        start_new_session=True,  # no controlling terminal: getpass uses standard input's
    )
    os.close(terminal)
    shown = b""
    for prompt in (b"Password: ", b"Again: "):
        while not shown.endswith(prompt):
            shown += os.read(controller, 1024)
        os.write(controller, b"terminal-password\n")
    hashed, _ = process.communicate(timeout=30)
    try:
        while chunk := os.read(controller, 1024):
            shown += chunk
    except OSError:  # EIO: the terminal's other end is closed, everything read
        pass
    os.close(controller)

    assert process.returncode == 0
    assert b"terminal-password" not in shown  # typed, never echoed
    assert hashed.decode().startswith("$argon2id$")


def test_hash_password_refuses_a_short_password() -> None:
    result = subprocess.run(
        [BALLAST, "hash-password"],
        input="short\n",
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode != 0
    assert result.stdout == ""


def test_python_dash_m_entrypoints_works_as_ballast() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints", "--help"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0
    for command in ("serve", "health", "hash-password"):
        assert command in result.stdout


def test_version_prints_the_package_version() -> None:
    result = subprocess.run(
        [BALLAST, "--version"], env=clean_env(), capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 0
    assert result.stdout.strip() == f"ballast {version('ballast')}"


def test_serve_help_gives_every_option_a_text_and_its_default() -> None:
    result = subprocess.run(
        [BALLAST, "serve", "--help"], env=clean_env(), capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 0
    options = " ".join(result.stdout.split()).split("options:", 1)[1]
    for option in ("--host", "--port", "--workers"):
        text = options.split(option, 1)[1].split("--", 1)[0]
        assert "default:" in text, option
    assert "BALLAST_HOST" in options
    assert "BALLAST_PORT" in options


def test_serve_listens_on_ballast_host_and_ballast_port(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [BALLAST, "serve"],
            env=clean_env(BALLAST_HOST="127.0.0.1", BALLAST_PORT=str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_live(f"http://127.0.0.1:{port}", process)
        finally:
            process.terminate()
            process.wait(timeout=15)


def test_a_taken_port_is_refused_in_one_line_before_start_up() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [BALLAST, "serve", "--port", str(port)],
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in lines[0]
    assert "startup" not in result.stderr.lower()


@pytest.mark.parametrize("value", ["abc", "0", "70000"])
def test_a_bad_ballast_port_is_a_configuration_error(value: str) -> None:
    result = subprocess.run(
        [BALLAST, "serve"],
        env=clean_env(BALLAST_PORT=value),
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "BALLAST_PORT" in result.stderr
