"""What `ballast serve` says at start about secrets: production refuses weak ones in one
line naming the rule; only development invents an admin password, and prints it once on
standard output, never as a log line."""

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.redis_server import free_port
from tests.support.servers import BALLAST, clean_env, wait_until_live

MARKER = "development admin password: "


@pytest.mark.parametrize(
    ("secret", "password", "rule"),
    [
        (
            "a" * 32,
            "a-long-admin-password",
            "BALLAST_JWT_SECRET: production needs a secret of at least 112 bits of estimated",
        ),
        (
            "0123456789abcdef0123456789abcdef",  # 16 distinct bytes: two sequences, repeated
            "a-long-admin-password",
            "BALLAST_JWT_SECRET: production needs a secret of at least 112 bits of estimated",
        ),
        (
            "q7Vf2LxN9sKd4WmZ8cRj1TgY6hBp3EuA",
            "password",
            "BALLAST_ADMIN_PASSWORD: production needs an admin password of at least 12 characters",
        ),
        (
            "q7Vf2LxN9sKd4WmZ8cRj1TgY6hBp3EuA",
            "xxxxxxxxxxxxxxxx",
            "BALLAST_ADMIN_PASSWORD: production refuses an admin password made of one repeated",
        ),
    ],
)
def test_production_refuses_weak_secrets_in_one_line(secret: str, password: str, rule: str) -> None:
    env = clean_env(
        BALLAST_ENV="production", BALLAST_JWT_SECRET=secret, BALLAST_ADMIN_PASSWORD=password
    )
    done = subprocess.run(
        [BALLAST, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert rule in line
    assert secret not in line


def serve_briefly(tmp_path: Path, **env: str) -> tuple[str, str]:
    """Starts `ballast serve`, waits until it answers, stops it: its stdout and stderr."""
    port = free_port()
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [BALLAST, "serve", "--port", str(port)],
            env=clean_env(**env),
            stdout=stdout,
            stderr=stderr,
        )
        try:
            wait_until_live(f"http://127.0.0.1:{port}", process)
            assert httpx.get(f"http://127.0.0.1:{port}/health/live").status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=15)
    return out.read_text(), err.read_text()


def test_development_prints_the_admin_password_once_on_stdout_not_in_the_logs(
    tmp_path: Path,
) -> None:
    stdout, stderr = serve_briefly(tmp_path, BALLAST_ENV="development")
    printed = [line for line in stdout.splitlines() if MARKER in line]
    assert len(printed) == 1
    password = printed[0].split(MARKER, 1)[1].strip()
    assert len(password) >= 12
    assert password not in stderr
    assert "level=" not in printed[0]  # a plain line, not a log record


def test_only_development_prints_a_password(tmp_path: Path) -> None:
    stdout, stderr = serve_briefly(tmp_path, BALLAST_ENV="test")
    assert MARKER not in stdout + stderr
