"""What `ballast` says about its configuration and its subcommands, as an operator or a
probe runs it: real processes, real sockets."""

import argparse
import json
import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from adapters.jwt_keys import Algorithm, check_pem
from entrypoints.cli import parser
from entrypoints.settings import Settings
from tests.redis_server import RedisServer, free_port
from tests.support.servers import BALLAST, clean_env, server_lines, serving

SECRET = "q7Vf2LxN9sKd4WmZ8cRj1TgY6hBp3EuA-Xw5"
ADMIN = "a-long-admin-password"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BALLAST, *args], env=clean_env(**env), capture_output=True, text=True, timeout=30
    )


def subcommands() -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_subcommand_help_says_what_it_does_its_exit_codes_and_its_input(name: str) -> None:
    help_text = subcommands()[name].format_help()

    description = help_text.split("\n\n")[1]
    assert len(description.split()) >= 5, name
    assert "exit status:" in help_text
    assert "  0  " in help_text
    assert "standard input: " in help_text


def test_the_help_walk_covers_every_subcommand_ballast_has() -> None:
    done = run("--help")
    listed = done.stdout.split("{", 1)[1].split("}", 1)[0].split(",")
    assert set(listed) == set(subcommands())
    assert "exit status:" in run("serve", "--help").stdout


@pytest.mark.parametrize(
    ("args", "env", "variable"),
    [
        ((), {"BALLAST_LOG_LEVEL": "verbose"}, "BALLAST_LOG_LEVEL"),
        ((), {"BALLAST_PORT": "70000"}, "BALLAST_PORT"),
        ((), {"BALLAST_ENV": "production", "BALLAST_PROT": "8000"}, "BALLAST_PROT"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(
    args: tuple[str, ...], env: dict[str, str], variable: str
) -> None:
    done = run("serve", *args, **env)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"ballast: configuration error: {variable}: ")


@pytest.mark.parametrize("option", [("--port", "70000"), ("--port", "0"), ("--host", "a b")])
def test_port_and_host_options_meet_the_checks_of_their_variables(
    option: tuple[str, str],
) -> None:
    done = run("serve", *option)
    assert done.returncode == 2
    assert f"argument {option[0]}: " in done.stderr
    assert "Traceback" not in done.stderr


def test_a_host_that_cannot_be_resolved_says_so_and_not_choose_another_port() -> None:
    done = run("serve", "--host", "no-such-host.invalid", "--port", str(free_port()))
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "cannot resolve the host 'no-such-host.invalid'" in line
    assert "port" not in line


def test_an_unknown_variable_is_one_warning_at_start_naming_the_closest(tmp_path: Path) -> None:
    with serving(tmp_path, BALLAST_RATE_LIMT="5/minute"):
        pass
    warnings = [line for line in server_lines(tmp_path) if line.get("level") == "WARNING"]
    assert [(w["event"], w["variable"], w["closest"]) for w in warnings] == [
        ("unknown_variable", "BALLAST_RATE_LIMT", "BALLAST_RATE_LIMIT")
    ]


def test_production_reads_secrets_from_files_and_warns_once_when_metrics_are_open(
    tmp_path: Path,
) -> None:
    files = {}
    for name, value in (("BALLAST_JWT_SECRET", SECRET), ("BALLAST_ADMIN_PASSWORD", ADMIN)):
        path = tmp_path / name.lower()
        path.write_text(value + "\n")
        files[f"{name}_FILE"] = str(path)

    with serving(tmp_path, BALLAST_ENV="production", **files) as base:
        login = httpx.post(f"{base}/api/auth/login", json={"username": "admin", "password": ADMIN})
        metrics = httpx.get(f"{base}/metrics")
    assert login.status_code == 200
    assert metrics.status_code == 200
    warnings = [line for line in server_lines(tmp_path) if line.get("level") == "WARNING"]
    assert [w["event"] for w in warnings] == ["metrics_open"]


def test_a_metrics_token_from_a_file_guards_metrics_and_silences_the_warning(
    tmp_path: Path,
) -> None:
    token = tmp_path / "token"
    token.write_text("scrape-token-0f9e8d7c6b5a\n")
    env = {
        "BALLAST_ENV": "production",
        "BALLAST_JWT_SECRET": SECRET,
        "BALLAST_ADMIN_PASSWORD": ADMIN,
        "BALLAST_METRICS_TOKEN_FILE": str(token),
    }
    with serving(tmp_path, **env) as base:
        refused = httpx.get(f"{base}/metrics")
        allowed = httpx.get(
            f"{base}/metrics", headers={"Authorization": "Bearer scrape-token-0f9e8d7c6b5a"}
        )
    assert (refused.status_code, allowed.status_code) == (401, 200)
    assert not [line for line in server_lines(tmp_path) if line.get("level") == "WARNING"]


def test_health_url_asks_a_running_instance_and_exits_0(tmp_path: Path) -> None:
    with serving(tmp_path) as base:
        up = run("health", "--url", base)
    assert up.returncode == 0, up.stderr
    report = json.loads(up.stdout)
    assert report["status"] == "pass"
    assert "revocations" in json.dumps(report)  # the live instance's checks


def test_health_url_of_an_instance_that_is_down_exits_1_in_one_line() -> None:
    down = run("health", "--url", f"http://127.0.0.1:{free_port()}", "--timeout", "2")
    assert down.returncode == 1
    assert down.stdout == ""
    [line] = down.stderr.strip().splitlines()
    assert line.startswith("ballast: no answer from http://127.0.0.1:")


def test_health_url_reports_a_failing_instance_with_exit_1(tmp_path: Path) -> None:
    closed = f"redis://127.0.0.1:{free_port()}"
    with serving(tmp_path, REDIS_URL=closed, BALLAST_ON_REDIS_DOWN="fail_closed") as base:
        failing = run("health", "--url", base + "/health")
    assert failing.returncode == 1
    assert json.loads(failing.stdout)["status"] == "fail"


def test_health_url_that_is_not_http_is_exit_2() -> None:
    done = run("health", "--url", "ftp://127.0.0.1/")
    assert done.returncode == 2
    assert "--url" in done.stderr


def test_keygen_out_writes_a_private_file_production_accepts(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    done = run("keygen", "--algorithm", "EdDSA", "--out", str(path))

    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    check_pem(path.read_bytes(), Algorithm.EDDSA, private=True)
    env = {
        "BALLAST_ENV": "production",
        "BALLAST_ADMIN_PASSWORD": ADMIN,
        "BALLAST_JWT_ALGORITHM": "EdDSA",
        "BALLAST_JWT_PRIVATE_KEY_FILE": str(path),
    }
    assert Settings.from_env(env).jwt_private_key == path.read_bytes()
    again = run("keygen", "--algorithm", "EdDSA", "--out", str(path))
    assert again.returncode == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_config_table_prints_the_block_the_configuration_page_holds() -> None:
    done = run("config-table")
    root = Path(__file__).resolve().parent.parent.parent
    page = (root / "docs" / "CONFIGURATION.md").read_text()
    assert done.returncode == 0
    assert done.stdout.strip() in page


@pytest.mark.redis
def test_the_redis_password_is_read_from_its_file_and_authenticates(tmp_path: Path) -> None:
    password = "p@ss:word/with#signs"
    server = RedisServer(password=password).start()
    try:
        secret = tmp_path / "redis-password"
        secret.write_text(password + "\n")
        env = {
            "REDIS_URL": f"redis://127.0.0.1:{server.port}/0",
            "BALLAST_REDIS_PASSWORD_FILE": str(secret),
        }
        with serving(tmp_path, **env) as base:
            health = run("health", "--url", base)
        assert health.returncode == 0, health.stderr
        [redis] = json.loads(health.stdout)["checks"]["redis"]
        assert redis["status"] == "pass", redis
        assert password not in (tmp_path / "serve.log").read_text()
    finally:
        server.stop()
